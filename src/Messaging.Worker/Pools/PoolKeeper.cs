using System.Text.Json;
using Messaging.State;
using Messaging.State.Locks;
using Messaging.State.Pools;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

/// <summary>
/// Keeps the pools (issue 20): refills them, replaces members idle past their pool's MaxIdle and dead ones, and makes
/// the engine and Redis agree after a crash or a Redis loss. The engine is the truth: a member container without a
/// claim volume is the pool's (put back into Redis when Redis forgot it), one with a claim is its service's (renamed
/// and resized here if the claiming worker died before it could), a claim volume without its container is removed.
/// One worker at a time runs a pass (a Redis lock); a claim wakes it at once so the pool refills while claims go on.
/// On shutdown the idle members are removed (<see cref="PoolOptions.RemoveIdleOnShutdown"/>).
/// </summary>
public sealed class PoolKeeper(
    PoolDefinitions pools,
    PoolState state,
    PoolClaimBook claims,
    PoolEngine engine,
    PoolMemberFactory factory,
    ColdCreations cold,
    Provisioning.ServicesNetwork network,
    InstallationLocks installation,
    ServiceLocks serviceLocks,
    IOptions<PoolOptions> options,
    IOptions<DockerOptions> docker,
    TimeProvider clock,
    ILogger<PoolKeeper> logger) : BackgroundService
{
    /// <summary>How long a member may stay 'creating', or a claim volume lack its container, before it counts as abandoned.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Runs a pass soon (after a claim: the pool has a gap).</summary>
    public void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { } // a wake is pending already
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (pools.All.Count == 0)
            return;
        logger.LogInformation("Warm pools: {Pools}", string.Join(", ", pools.All.Select(p => $"{p.Name} x{p.Size}")));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Pool keeper pass failed; trying again in {Interval}", options.Value.SweepInterval);
            }
            try
            {
                await _wake.WaitAsync(options.Value.SweepInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: repairs, expiry, refill, summary. Public for tests, which run passes when they mean to.</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        await using var held = await installation.TryAcquirePoolKeeperAsync(TimeSpan.FromSeconds(30));
        if (held is null)
            return;
        held.KeepAlive(TimeSpan.FromSeconds(30));
        await RepairAsync(cancellationToken);
        await RefillAsync(cancellationToken);
        await WriteSummaryAsync();
    }

    private async Task RepairAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var containers = await engine.ListMembersAsync(cancellationToken);
        var onEngine = containers.ToDictionary(c => c.MemberId);
        var known = (await state.MembersAsync()).ToDictionary(m => m.MemberId);
        foreach (var container in containers)
        {
            if (await claims.FindAsync(container.MemberId, cancellationToken) is { } claim)
            {
                await FinishClaimAsync(container, claim, cancellationToken);
                continue;
            }
            var pool = pools.Named(container.Pool);
            known.TryGetValue(container.MemberId, out var member);
            if (member is null)
            {
                // Redis does not list it as the pool's. Claimed per Redis, with no claim on the engine yet: its claimer is
                // between the two steps (or died there, and its command comes back to it). Leave it.
                if (await state.ClaimedByAsync(container.MemberId) is { } claimer)
                {
                    if (!await serviceLocks.IsHeldAsync(claimer) && now - container.Created > TimeSpan.FromMinutes(5))
                        logger.LogWarning("Pool member {MemberId} was claimed by {ServiceId} in Redis but never on the engine", container.MemberId, claimer);
                    continue;
                }
                // Redis lost it (or never knew it): the pool takes it back if it still runs and the pool still exists.
                if (pool is not null && container.Running && container.HostPort is { } port && now - container.Created > TimeSpan.FromSeconds(5)
                    && await state.RestoreAsync(pool.Name, container.MemberId, container.Id, port) is not null)
                {
                    logger.LogInformation("Pool member {MemberId} of {Pool} put back into Redis", container.MemberId, pool.Name);
                    continue;
                }
                if (now - container.Created > Grace || !container.Running)
                    await RemoveMemberAsync(container.Pool, container.MemberId, container.Id, "unknown to Redis and not restorable");
                continue;
            }
            var expired = member.State == PoolMemberStates.Idle && pool is not null && now - member.Since > pool.MaxIdle;
            var dead = member.State == PoolMemberStates.Idle && !container.Running;
            var stuck = member.State == PoolMemberStates.Warming && now - member.Since > Grace;
            if (member.State == PoolMemberStates.Retiring || pool is null || expired || dead || stuck)
            {
                if (member.State == PoolMemberStates.Retiring || await state.RetireAsync(member.Pool, member.MemberId, evenCreating: stuck || pool is null))
                    await RemoveMemberAsync(member.Pool, member.MemberId, container.Id,
                        expired ? "idle past MaxIdle" : dead ? "its container stopped" : stuck ? "its creation was abandoned" : pool is null ? "its pool is no longer configured" : "retired");
            }
        }
        // Members Redis counts that the engine does not have: forgotten once their creation had time to show up.
        foreach (var member in known.Values.Where(m => !onEngine.ContainsKey(m.MemberId) && now - m.Since > Grace))
        {
            if (await state.RetireAsync(member.Pool, member.MemberId, evenCreating: true) || member.State == PoolMemberStates.Retiring)
                await state.ForgetAsync(member.Pool, member.MemberId);
        }
        // Claims whose container is gone (its service was removed): looked at again before removal, a claim may be brand new.
        var orphans = (await claims.ListAsync(cancellationToken)).Where(c => !onEngine.ContainsKey(c.MemberId)).ToList();
        if (orphans.Count > 0)
        {
            var again = (await engine.ListMembersAsync(cancellationToken)).Select(c => c.MemberId).ToHashSet();
            foreach (var orphan in orphans.Where(o => !again.Contains(o.MemberId)))
            {
                await claims.RemoveAsync(orphan.MemberId, cancellationToken);
                await state.ForgetClaimAsync(orphan.ServiceId);
                logger.LogInformation("Removed the claim of member {MemberId} (service {ServiceId}): its container is gone", orphan.MemberId, orphan.ServiceId);
            }
        }
    }

    /// <summary>
    /// A claimed member whose claimer died after writing the claim: gives it its service's name and limits. Under the
    /// service's lock; a claim in progress (lock held) is its claimer's to finish.
    /// </summary>
    private async Task FinishClaimAsync(MemberContainer container, ClaimBinding claim, CancellationToken cancellationToken)
    {
        var name = $"{docker.Value.Instance}-{claim.ServiceName}";
        if (container.Name == name)
            return;
        await using var held = await serviceLocks.TryAcquireAsync(claim.ServiceId);
        if (held is null)
            return;
        try
        {
            await engine.RenameAsync(container.Id, name, cancellationToken);
            if (claim.MemoryBytes > 0 && claim.NanoCpus > 0)
                await engine.UpdateLimitsAsync(container.Id, claim.MemoryBytes, claim.NanoCpus, docker.Value.PidsLimit, cancellationToken);
            logger.LogWarning("Finished the claim of member {MemberId} by {ServiceName}: renamed and resized", claim.MemberId, claim.ServiceName);
        }
        catch (ContainerRuntimeException e)
        {
            logger.LogWarning("Could not finish the claim of member {MemberId} by {ServiceName}: {Message}", claim.MemberId, claim.ServiceName, e.Message);
        }
    }

    private async Task RemoveMemberAsync(string pool, Guid memberId, string containerId, string why)
    {
        await engine.RemoveAsync(containerId, CancellationToken.None);
        await state.ForgetAsync(pool, memberId);
        logger.LogInformation("Removed pool member {MemberId} of {Pool}: {Why}", memberId, pool, why);
    }

    private async Task RefillAsync(CancellationToken cancellationToken)
    {
        var members = await state.MembersAsync();
        var gaps = pools.All
            .Select(p => (Pool: p, Gap: p.Size - members.Count(m => m.Pool == p.Name && m.State is PoolMemberStates.Idle or PoolMemberStates.Warming)))
            .Where(g => g.Gap > 0).ToList();
        if (gaps.Count == 0)
            return;
        // Members join the services network: on a fresh engine nothing else may have made it yet.
        await network.EnsureAsync(cancellationToken);
        // Round robin over the pools with a gap, so one pool's deficit does not starve another's.
        var queue = new Queue<PoolDefinition>();
        for (var round = 0; gaps.Any(g => g.Gap > round); round++)
            foreach (var (pool, gap) in gaps.Where(g => g.Gap > round))
                queue.Enqueue(pool);
        var running = new List<Task<bool>>();
        while (queue.Count > 0 || running.Count > 0)
        {
            // The refill's share of the engine: less (or none) while cold creations are in flight.
            var share = cold.InFlight > 0 ? options.Value.RefillConcurrencyUnderLoad : options.Value.RefillConcurrency;
            while (queue.Count > 0 && running.Count < share && !cancellationToken.IsCancellationRequested)
                running.Add(factory.CreateAsync(queue.Dequeue(), cancellationToken));
            if (running.Count == 0)
            {
                if (queue.Count == 0 || cancellationToken.IsCancellationRequested)
                    break;
                await Task.Delay(50, cancellationToken); // paused for the cold creations
                continue;
            }
            var done = await Task.WhenAny(running);
            running.Remove(done);
            if (!await done)
                queue.Clear(); // budget full, ports exhausted or the engine refusing: the next pass tries again
        }
    }

    private async Task WriteSummaryAsync()
    {
        var members = await state.MembersAsync();
        var stats = await state.StatsAsync();
        var summary = new
        {
            updated_at = clock.GetUtcNow(),
            budget = new { max_members = options.Value.MaxMembers, members = members.Count },
            pools = pools.All.Select(p => new
            {
                name = p.Name,
                image = p.Template.Image,
                memory_bytes = p.MemoryBytes,
                cpus = p.Cpus,
                size = p.Size,
                max_idle_seconds = (long)p.MaxIdle.TotalSeconds,
                idle = members.Count(m => m.Pool == p.Name && m.State == PoolMemberStates.Idle),
                warming = members.Count(m => m.Pool == p.Name && m.State == PoolMemberStates.Warming),
                hits = stats.GetValueOrDefault($"{p.Name}:hits"),
                misses = stats.GetValueOrDefault($"{p.Name}:misses"),
            }),
        };
        await state.WriteSummaryAsync(JsonSerializer.Serialize(summary), options.Value.SweepInterval * 3 + TimeSpan.FromSeconds(10));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (pools.All.Count == 0 || !options.Value.RemoveIdleOnShutdown)
            return;
        var removed = 0;
        foreach (var member in (await state.MembersAsync()).Where(m => m.State is PoolMemberStates.Idle or PoolMemberStates.Retiring && m.ContainerId is not null))
        {
            if (member.State == PoolMemberStates.Retiring || await state.RetireAsync(member.Pool, member.MemberId))
            {
                await engine.RemoveAsync(member.ContainerId!, CancellationToken.None);
                await state.ForgetAsync(member.Pool, member.MemberId);
                removed++;
            }
        }
        logger.LogInformation("Removed {Count} idle pool members on shutdown", removed);
    }
}
