using Messaging.State.Pools;
using Messaging.State.Reservations;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

/// <summary>A creation served by a warm member: the container and the port that are now the service's.</summary>
public sealed record WarmService(string ContainerId, int HostPort);

/// <summary>
/// The claim path (issue 20): a creation that qualifies (<see cref="PoolDefinitions"/>) takes a warm member instead of
/// creating a container. In order: the atomic Redis claim (member out of the pool; its port, the name and the quota
/// share moved to the service), the claim volume on the engine (the binding that survives Redis, and the fence
/// against a second claimer), the rename to the service's container name, and the service's limits applied by update (none
/// when it asks for the pool's own profile).
/// Each step can be repeated by a redelivery of the command (the claim script hands the same member back). Anything
/// that goes wrong after the Redis claim gives the member up (removed with its claim) and the reservation back, and the
/// creation goes the cold way: a claim never fails a creation that a cold start would have served.
/// </summary>
public sealed class WarmClaims(
    PoolDefinitions pools,
    PoolState state,
    PoolClaimBook claims,
    PoolEngine engine,
    PortReservations reservations,
    PoolTelemetry telemetry,
    PoolKeeper keeper,
    IOptions<DockerOptions> docker,
    ILogger<WarmClaims> logger)
{
    /// <summary>The warm member now serving the service, or null: create it cold.</summary>
    /// <param name="redelivered">
    /// The broker delivers this command again (its first delivery's worker died): the claim that delivery may have
    /// written on the engine is looked for first. A first delivery has none, and skips that engine call.
    /// </param>
    public async Task<WarmService?> TryClaimAsync(ApprovedService service, Allocation allocation, HostBudget host, bool redelivered,
        CancellationToken cancellationToken)
    {
        if (pools.All.Count == 0)
            return null;
        var (pool, notEligible) = pools.Match(service);
        if (pool is null)
        {
            telemetry.NotEligible.Add(1, new KeyValuePair<string, object?>("reason", notEligible));
            return null;
        }
        var command = service.Command;
        if (redelivered && await EarlierClaimAsync(service, allocation, cancellationToken) is { } earlier)
            return await TakeAsync(service, pool, earlier, cancellationToken);
        // Two tries: a member the engine already gives to another service (a claim that Redis forgot) is skipped once.
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var (outcome, member) = await state.ClaimAsync(pool.Name, command.ServiceId, command.ServiceName, allocation, host, cancellationToken);
            if (outcome == PoolClaimOutcome.Empty)
            {
                telemetry.Misses.Add(1, new KeyValuePair<string, object?>("pool", pool.Name));
                await state.CountAsync(pool.Name, hit: false);
                keeper.Wake();
            }
            if (outcome != PoolClaimOutcome.Claimed)
                return null; // refusals (name, quota, host budget) are the cold reservation's to report, with its messages
            if (await TakeAsync(service, pool, member!, cancellationToken) is { } served)
            {
                telemetry.Hits.Add(1, new KeyValuePair<string, object?>("pool", pool.Name));
                await state.CountAsync(pool.Name, hit: true);
                keeper.Wake(); // its gap is refilled now, not at the next sweep
                return served;
            }
        }
        return null;
    }

    private async Task<WarmService?> TakeAsync(ApprovedService service, PoolDefinition pool, ClaimedMember member, CancellationToken cancellationToken)
    {
        var command = service.Command;
        var nanoCpus = NanoCpus(service.CpuLimit);
        try
        {
            var binding = await claims.WriteAsync(new ClaimBinding(member.MemberId, command.ServiceId, command.RequestedBy, command.ServiceName,
                command.CommandId, service.MemoryBytes, nanoCpus), cancellationToken);
            if (binding.ServiceId != command.ServiceId)
            {
                // The engine says another service claimed this member first: it is theirs. Only our reservation goes back.
                logger.LogWarning("Pool member {MemberId} is already claimed by service {Other}; not taking it", member.MemberId, binding.ServiceId);
                await GiveBackReservationAsync(service);
                return null;
            }
            if (string.IsNullOrEmpty(member.ContainerId))
                throw new ContainerRuntimeException(Messaging.Contracts.FailureReasons.DockerError, "The member's container id is unknown.");
            var rename = RenameAsync(member.ContainerId, $"{docker.Value.Instance}-{command.ServiceName}", cancellationToken);
            // A member runs with its pool's profile and the worker's pids limit already: a request for exactly that
            // profile needs no update, which is the claim's costliest engine call (a runc process, ~25 ms here).
            // Otherwise the two are independent of each other: side by side.
            if (service.MemoryBytes == pool.MemoryBytes && nanoCpus == NanoCpus(pool.Cpus))
                await rename;
            else
                await Task.WhenAll(rename, engine.UpdateLimitsAsync(member.ContainerId, service.MemoryBytes, nanoCpus, docker.Value.PidsLimit, cancellationToken));
            logger.LogInformation("Service {ServiceName} claimed warm member {MemberId} ({ContainerId}) on port {HostPort}",
                command.ServiceName, member.MemberId, member.ContainerId, member.HostPort);
            return new WarmService(member.ContainerId, member.HostPort);
        }
        catch (Exception e) when (e is ContainerRuntimeException or Docker.DotNet.DockerApiException or HttpRequestException)
        {
            logger.LogWarning(e, "Could not hand warm member {MemberId} to {ServiceName}; removing it and creating the service cold",
                member.MemberId, command.ServiceName);
            try
            {
                if (!string.IsNullOrEmpty(member.ContainerId))
                    await engine.RemoveAsync(member.ContainerId, CancellationToken.None);
                await claims.RemoveAsync(member.MemberId, CancellationToken.None);
            }
            catch (Exception cleanup) when (cleanup is ContainerRuntimeException or Docker.DotNet.DockerApiException or HttpRequestException)
            {
                // The keeper's sweep removes what is left (a claim without its container, a member nobody claimed).
                logger.LogWarning("Leaving member {MemberId} to the pool keeper: {Message}", member.MemberId, cleanup.Message);
            }
            await GiveBackReservationAsync(service);
            return null;
        }
    }

    /// <summary>
    /// The member this service claimed on the engine before (a redelivery after the worker died mid-claim and Redis lost
    /// the claim), with its reservation put back; null when there is none. A claim whose container is gone is removed.
    /// </summary>
    private async Task<ClaimedMember?> EarlierClaimAsync(ApprovedService service, Allocation allocation, CancellationToken cancellationToken)
    {
        var command = service.Command;
        if (await claims.FindForServiceAsync(command.ServiceId, cancellationToken) is not { } claim)
            return null;
        var container = await engine.FindMemberAsync(claim.MemberId, cancellationToken);
        if (container is { Running: true, HostPort: { } port } &&
            await reservations.RestoreAsync(command.ServiceId, command.ServiceName, port, allocation) != RestoreOutcome.Conflict)
        {
            logger.LogInformation("Service {ServiceName} takes back warm member {MemberId}, claimed by an earlier delivery", command.ServiceName, claim.MemberId);
            return new ClaimedMember(claim.MemberId, container.Id, port);
        }
        if (container is not null)
            await engine.RemoveAsync(container.Id, CancellationToken.None);
        await claims.RemoveAsync(claim.MemberId, CancellationToken.None);
        return null;
    }

    private static long NanoCpus(double cpus) => (long)Math.Round(cpus * 1_000_000_000d);

    /// <summary>Renames, unless a redelivery finds the member already renamed.</summary>
    private async Task RenameAsync(string containerId, string name, CancellationToken cancellationToken)
    {
        try
        {
            await engine.RenameAsync(containerId, name, cancellationToken);
        }
        catch (ContainerRuntimeException)
        {
            var found = await engine.InspectAsync(containerId, cancellationToken);
            if (found?.Name.TrimStart('/') != name)
                throw;
        }
    }

    private async Task GiveBackReservationAsync(ApprovedService service)
    {
        await reservations.ReleaseAsync(service.Command.ServiceId, service.Command.ServiceName);
        await state.ForgetClaimAsync(service.Command.ServiceId);
    }
}
