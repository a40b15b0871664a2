using System.Globalization;
using Messaging.State.Locks;
using Messaging.State.Reservations;
using Messaging.State.Scripts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.State.Pools;

/// <summary>How reserving a port for a new pool member ended.</summary>
public enum MemberReserveOutcome { Reserved, BudgetFull, Exhausted }

/// <summary>How a claim of a warm member ended. Anything but <see cref="Claimed"/> sends the creation down the cold path.</summary>
public enum PoolClaimOutcome { Claimed, Empty, HasPort, NameTaken, QuotaExceeded, HostCapacityExceeded }

/// <summary>A member claimed for a service: its container and the port that moved to the service.</summary>
public sealed record ClaimedMember(Guid MemberId, string ContainerId, int HostPort);

/// <summary>The states of a pool member (the <c>state</c> field of its hash; the scripts write them).</summary>
public static class PoolMemberStates
{
    /// <summary>Its port is reserved and its container is being created and started.</summary>
    public const string Warming = "warming";
    /// <summary>Running and claimable.</summary>
    public const string Idle = "idle";
    /// <summary>Taken out of the pool (expired, dead, shutdown); its container is being removed.</summary>
    public const string Retiring = "retiring";
    /// <summary>A service's now.</summary>
    public const string Claimed = "claimed";
}

/// <summary>A member as Redis describes it.</summary>
public sealed record PoolMemberState(Guid MemberId, string Pool, int Port, string State, string? ContainerId, DateTimeOffset Since);

/// <summary>
/// The Redis side of the warm pools (issue 20): members' port reservations within the pool budget, idle lists,
/// and the atomic claim that moves a member's port to a service with its name and quota share (Scripts/pool-*.lua).
/// A member's port is held in the ports hash as <c>pool:&lt;member id&gt;</c>, so nothing of the services' reservation
/// logic (nor the reconciler, which releases service reservations nobody holds) takes it for a service's.
/// Redis is not the truth of a claim: the engine holds that (the claim volume, <c>Worker/Pools/PoolClaimBook</c>).
/// </summary>
public sealed class PoolState(IConnectionMultiplexer redis, RedisKeys keys, IOptions<PortRangeOptions> ports, TimeProvider clock)
{
    /// <summary>How long a service remembers the member it claimed (its command's redeliveries).</summary>
    public static readonly TimeSpan ClaimMemory = TimeSpan.FromDays(1);

    private IDatabase Db => redis.GetDatabase();
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Reserves a port for a new member of <paramref name="pool"/> if the budget (members not claimed) allows one more.</summary>
    public async Task<(MemberReserveOutcome Outcome, int Port)> ReserveMemberAsync(string pool, Guid memberId, int budget, CancellationToken cancellationToken)
    {
        var range = ports.Value;
        var deadline = clock.GetUtcNow() + range.LockWait;
        while (true)
        {
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(StateScripts.PoolReserveMember, new
            {
                @lock = keys.ReservationLock, ports = keys.Ports, blocked = keys.BlockedPorts, members = keys.PoolMembers,
                member = keys.PoolMember(memberId),
                token = RedisLock.NewToken(), lockTtlMs = (long)range.LockTtl.TotalMilliseconds,
                budget, pool, memberId = memberId.ToString("D"), now = Now,
                min = range.Min, max = range.Max, start = Random.Shared.Next(range.Min, range.Max + 1),
            }))!;
            switch ((string?)result[0])
            {
                case "reserved": return (MemberReserveOutcome.Reserved, (int)result[1]);
                case "budget": return (MemberReserveOutcome.BudgetFull, 0);
                case "exhausted": return (MemberReserveOutcome.Exhausted, 0);
                case "locked":
                    if (clock.GetUtcNow() > deadline)
                        throw new TimeoutException($"The reservation lock {keys.ReservationLock} stayed held for over {range.LockWait}.");
                    await Task.Delay(Random.Shared.Next(1, 4), cancellationToken);
                    continue;
                default: throw new InvalidOperationException($"Unexpected pool reservation result {(string?)result[0]}.");
            }
        }
    }

    /// <summary>The member's container runs: it becomes claimable. False when it was retired meanwhile.</summary>
    public async Task<bool> MarkReadyAsync(string pool, Guid memberId, string containerId) =>
        (string?)await Db.ScriptEvaluateAsync(StateScripts.PoolMemberReady, new
        {
            member = keys.PoolMember(memberId), idle = keys.PoolIdle(pool), memberId = memberId.ToString("D"), containerId, now = Now,
        }) == "ready";

    /// <summary>
    /// Claims the oldest idle member of <paramref name="pool"/> for a service, moving its port, the name and the
    /// quota share to the service in one step (the same quota and host budget checks as a cold reservation).
    /// </summary>
    public async Task<(PoolClaimOutcome Outcome, ClaimedMember? Member)> ClaimAsync(string pool, Guid serviceId, string name, Allocation allocation, HostBudget host,
        CancellationToken cancellationToken)
    {
        var range = ports.Value;
        var deadline = clock.GetUtcNow() + range.LockWait;
        while (true)
        {
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(StateScripts.PoolClaim, new
            {
                @lock = keys.ReservationLock, claim = keys.PoolClaim(serviceId), idle = keys.PoolIdle(pool), members = keys.PoolMembers,
                names = keys.Names, ports = keys.Ports, servicePorts = keys.ServicePorts, usage = keys.Usage(allocation.Owner),
                serviceUsage = keys.ServiceUsage, hostUsage = keys.HostUsage,
                memberPrefix = keys.PoolMemberPrefix,
                token = RedisLock.NewToken(), lockTtlMs = (long)range.LockTtl.TotalMilliseconds,
                claimTtlMs = (long)ClaimMemory.TotalMilliseconds,
                serviceId = serviceId.ToString("D"), name,
                owner = allocation.Owner, memoryBytes = allocation.MemoryBytes, milliCpus = allocation.MilliCpus,
                maxServices = allocation.Quota.MaxServices ?? -1,
                maxMemoryBytes = allocation.Quota.MaxMemoryBytes ?? -1,
                maxMilliCpus = allocation.Quota.MaxCpus is { } maxCpus ? (long)Math.Floor(maxCpus * 1000) : -1,
                hostMaxMemoryBytes = host.MemoryBytes ?? -1, hostMaxMilliCpus = host.MilliCpus ?? -1,
            }))!;
            switch ((string?)result[0])
            {
                case "claimed":
                    return (PoolClaimOutcome.Claimed, new ClaimedMember(Guid.Parse((string)result[1]!), (string?)result[2] ?? "", (int)result[3]));
                case "empty": return (PoolClaimOutcome.Empty, null);
                case "has_port": return (PoolClaimOutcome.HasPort, null);
                case "name_taken": return (PoolClaimOutcome.NameTaken, null);
                case "quota": return (PoolClaimOutcome.QuotaExceeded, null);
                case "host": return (PoolClaimOutcome.HostCapacityExceeded, null);
                case "locked":
                    if (clock.GetUtcNow() > deadline)
                        throw new TimeoutException($"The reservation lock {keys.ReservationLock} stayed held for over {range.LockWait}.");
                    await Task.Delay(Random.Shared.Next(1, 4), cancellationToken);
                    continue;
                default: throw new InvalidOperationException($"Unexpected claim result {(string?)result[0]}.");
            }
        }
    }

    /// <summary>A claim given up (the engine gave the member to another service, or it could not be applied): the service forgets it.</summary>
    public Task ForgetClaimAsync(Guid serviceId) => Db.KeyDeleteAsync(keys.PoolClaim(serviceId));

    /// <summary>Takes a member out of its pool so nobody claims it; with <paramref name="evenCreating"/> also one still being created.</summary>
    public async Task<bool> RetireAsync(string pool, Guid memberId, bool evenCreating = false) =>
        (string?)await Db.ScriptEvaluateAsync(StateScripts.PoolRetireMember, new
        {
            member = keys.PoolMember(memberId), idle = keys.PoolIdle(pool), memberId = memberId.ToString("D"), anyState = evenCreating ? "1" : "0",
        }) == "retired";

    /// <summary>Forgets a retired member whose container is gone: its port goes back, it leaves the budget.</summary>
    public async Task<bool> ForgetAsync(string pool, Guid memberId) =>
        (string?)await Db.ScriptEvaluateAsync(StateScripts.PoolForgetMember, new
        {
            member = keys.PoolMember(memberId), idle = keys.PoolIdle(pool), members = keys.PoolMembers, ports = keys.Ports,
            memberId = memberId.ToString("D"),
        }) == "forgotten";

    /// <summary>Puts back an unclaimed member the engine runs after Redis lost it. Null: its port is another's (retire it).</summary>
    public async Task<bool?> RestoreAsync(string pool, Guid memberId, string containerId, int port)
    {
        var result = (string?)await Db.ScriptEvaluateAsync(StateScripts.PoolRestoreMember, new
        {
            member = keys.PoolMember(memberId), idle = keys.PoolIdle(pool), members = keys.PoolMembers, ports = keys.Ports,
            memberId = memberId.ToString("D"), pool, containerId, port = port.ToString(CultureInfo.InvariantCulture), now = Now,
        });
        return result switch { "restored" => true, "intact" => false, _ => null };
    }

    /// <summary>Every member not claimed yet, as Redis describes it.</summary>
    public async Task<IReadOnlyList<PoolMemberState>> MembersAsync()
    {
        var ids = (await Db.SetMembersAsync(keys.PoolMembers)).Select(v => Guid.TryParse(v.ToString(), out var id) ? id : Guid.Empty)
            .Where(id => id != Guid.Empty).ToList();
        var batch = Db.CreateBatch();
        var reads = ids.Select(id => (id, batch.HashGetAllAsync(keys.PoolMember(id)))).ToList();
        batch.Execute();
        var result = new List<PoolMemberState>();
        foreach (var (id, read) in reads)
        {
            var fields = (await read).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
            if (!fields.TryGetValue("pool", out var pool))
            {
                // In the budget but undescribed (a half-lost state): leave the budget.
                await Db.SetRemoveAsync(keys.PoolMembers, id.ToString("D"));
                continue;
            }
            result.Add(Describe(id, pool, fields));
        }
        return result;
    }

    /// <summary>One member's description (claimed ones included, while their claim is remembered), or null.</summary>
    public async Task<PoolMemberState?> MemberAsync(Guid memberId)
    {
        var fields = (await Db.HashGetAllAsync(keys.PoolMember(memberId))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        return fields.TryGetValue("pool", out var pool) ? Describe(memberId, pool, fields) : null;
    }

    /// <summary>The service a claimed member went to, per Redis (null: not claimed, or forgotten).</summary>
    public async Task<Guid?> ClaimedByAsync(Guid memberId) =>
        Guid.TryParse((string?)await Db.HashGetAsync(keys.PoolMember(memberId), "claimed_by"), out var id) ? id : null;

    private static PoolMemberState Describe(Guid id, string pool, Dictionary<string, string> fields) =>
        new(id, pool, int.Parse(fields.GetValueOrDefault("port", "0"), CultureInfo.InvariantCulture),
            fields.GetValueOrDefault("state", ""), fields.GetValueOrDefault("container_id"),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields.GetValueOrDefault("since", "0"), CultureInfo.InvariantCulture)));

    /// <summary>How many members of a pool are idle now (synchronous: metric gauges read it on their own thread).</summary>
    public long CountIdle(string pool) => Db.SortedSetLength(keys.PoolIdle(pool));

    /// <summary>Counts a hit (a claim) or a miss (a qualifying creation that found the pool empty), over all workers.</summary>
    public Task CountAsync(string pool, bool hit) => Db.HashIncrementAsync(keys.PoolStats, $"{pool}:{(hit ? "hits" : "misses")}");

    /// <summary>Hits and misses of every pool, over all workers.</summary>
    public async Task<IReadOnlyDictionary<string, long>> StatsAsync() =>
        (await Db.HashGetAllAsync(keys.PoolStats)).ToDictionary(e => e.Name.ToString(), e => (long)e.Value);

    /// <summary>Writes the pools' summary (JSON) for the API's admin endpoint; it expires if no worker writes it again.</summary>
    public Task WriteSummaryAsync(string json, TimeSpan ttl) => Db.StringSetAsync(keys.PoolSummary, json, ttl);

    /// <summary>The last summary a worker wrote, or null (pools off, or no worker running).</summary>
    public async Task<string?> ReadSummaryAsync() => await Db.StringGetAsync(keys.PoolSummary);
}
