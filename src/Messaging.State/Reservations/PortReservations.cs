using Messaging.State.Locks;
using Messaging.State.Scripts;
using Messaging.State.Tokens;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.State.Reservations;

/// <summary>
/// Reserves a service's name and host port together, in one Lua script (<c>Scripts/reserve.lua</c>): Redis
/// runs a script without interleaving anything else, so the read-pick-write of a port is atomic in one round
/// trip. The script still takes the reservation lock (random token, TTL) on entry and releases it by
/// compare-and-delete before it returns, so whoever holds that lock through the ordinary SET NX protocol (an
/// operator's repair, say) pauses reservations until it lets go. Held for microseconds, never across a Docker
/// call; no holder can stall inside it. Taking the lock in a separate round trip, as before, cost a lock convoy
/// of 8 reservers: 1,700 reservations/s instead of 14,000 (docs/BENCHMARKS.md).
/// The reservation is idempotent per service id: a redelivered command gets the same port back.
/// </summary>
public sealed class PortReservations(
    IConnectionMultiplexer redis, RedisKeys keys, IOptions<PortRangeOptions> options, TimeProvider clock)
{
    private readonly PortRangeOptions _range = options.Value;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>
    /// Reserves (or returns the existing reservation of) a port and the name for a service, and counts
    /// it in its owner's usage and in the host's, all in one atomic step, so concurrent creations cannot overshoot
    /// a quota or the host budget (<paramref name="host"/>; none when null).
    /// With <paramref name="refusedPort"/>, that port is given up and skipped for a while first:
    /// the engine said something else holds it.
    /// </summary>
    public async Task<PortReservation> ReserveAsync(Guid serviceId, string name, Allocation allocation, int? refusedPort, CancellationToken cancellationToken,
        HostBudget? host = null)
    {
        host ??= HostBudget.Unlimited;
        using var activity = StateTelemetry.Source.StartActivity("reserve port and name");
        activity?.SetTag("messaging.service_id", serviceId.ToString("D"));
        var deadline = clock.GetUtcNow() + _range.LockWait;
        while (true)
        {
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(StateScripts.Reserve, new
            {
                @lock = keys.ReservationLock, names = keys.Names, ports = keys.Ports, servicePorts = keys.ServicePorts,
                blocked = keys.BlockedPorts, usage = keys.Usage(allocation.Owner), serviceUsage = keys.ServiceUsage,
                hostUsage = keys.HostUsage,
                token = RedisLock.NewToken(), lockTtlMs = (long)_range.LockTtl.TotalMilliseconds,
                serviceId = serviceId.ToString("D"), name,
                min = _range.Min, max = _range.Max, start = Random.Shared.Next(_range.Min, _range.Max + 1),
                now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                refusedPort = refusedPort?.ToString() ?? "", blockMs = (long)_range.BlockRefusedPortFor.TotalMilliseconds,
                owner = allocation.Owner, memoryBytes = allocation.MemoryBytes, milliCpus = allocation.MilliCpus,
                maxServices = allocation.Quota.MaxServices ?? -1,
                maxMemoryBytes = allocation.Quota.MaxMemoryBytes ?? -1,
                maxMilliCpus = allocation.Quota.MaxCpus is { } maxCpus ? (long)Math.Floor(maxCpus * 1000) : -1,
                hostMaxMemoryBytes = host.MemoryBytes ?? -1, hostMaxMilliCpus = host.MilliCpus ?? -1,
            }))!;
            var outcome = (string?)result[0];
            activity?.SetTag("messaging.reservation", outcome);
            switch (outcome)
            {
                case "reserved": return new PortReservation(ReserveOutcome.Reserved, (int)result[1]);
                case "name_taken": return new PortReservation(ReserveOutcome.NameTaken);
                case "exhausted": return new PortReservation(ReserveOutcome.Exhausted);
                case "quota": return new PortReservation(ReserveOutcome.QuotaExceeded, Detail: (string?)result[1]);
                case "host": return new PortReservation(ReserveOutcome.HostCapacityExceeded, Detail: (string?)result[1]);
                case "locked":
                    // Someone outside a script holds the lock (nothing of ours does). Wait for it like any
                    // other taker would; a lock that outlives LockWait means Redis is not usable for us.
                    if (clock.GetUtcNow() > deadline)
                        throw new TimeoutException($"The reservation lock {keys.ReservationLock} stayed held for over {_range.LockWait}.");
                    await Task.Delay(Random.Shared.Next(1, 4), cancellationToken);
                    continue;
                default: throw new InvalidOperationException($"Unexpected reservation result {outcome}.");
            }
        }
    }

    /// <summary>Gives back the port, the name, the quota share and the host budget share, if this service still holds them (name "" = whatever name it holds).</summary>
    public async Task ReleaseAsync(Guid serviceId, string name)
    {
        var id = serviceId.ToString("D");
        while (true)
        {
            // The owner's usage key is named by the service's usage entry: read it, then release only if it is unchanged.
            var counted = (string?)await Db.HashGetAsync(keys.ServiceUsage, id) ?? "";
            var result = (string?)await Db.ScriptEvaluateAsync(StateScripts.ReleaseReservation, new
            {
                names = keys.Names, ports = keys.Ports, servicePorts = keys.ServicePorts, serviceUsage = keys.ServiceUsage,
                usage = keys.Usage(OwnerOf(counted)), hostUsage = keys.HostUsage, serviceId = id, name, counted,
            });
            if (result == "released")
                return;
        }
    }

    /// <summary>The owner named by a service's usage entry ("owner memory millicpus"; the owner may contain spaces).</summary>
    private static string OwnerOf(string counted)
    {
        var last = counted.LastIndexOf(' ');
        var end = last > 0 ? counted.LastIndexOf(' ', last - 1) : -1;
        return end > 0 ? counted[..end] : "";
    }

    /// <summary>Puts back the reservation of a container the engine runs (after Redis lost it).</summary>
    public async Task<RestoreOutcome> RestoreAsync(Guid serviceId, string name, int port, Allocation allocation)
    {
        var result = (string?)await Db.ScriptEvaluateAsync(StateScripts.RestoreReservation, new
        {
            names = keys.Names, ports = keys.Ports, servicePorts = keys.ServicePorts,
            usage = keys.Usage(allocation.Owner), serviceUsage = keys.ServiceUsage, hostUsage = keys.HostUsage,
            serviceId = serviceId.ToString("D"), name, port = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            owner = allocation.Owner, memoryBytes = allocation.MemoryBytes, milliCpus = allocation.MilliCpus,
        });
        return result switch
        {
            "restored" => RestoreOutcome.Restored,
            "intact" => RestoreOutcome.Intact,
            "conflict" => RestoreOutcome.Conflict,
            _ => throw new InvalidOperationException($"Unexpected restore result {result}."),
        };
    }

    /// <summary>What all services hold of the host budget.</summary>
    public async Task<HostUsage> HostUsageAsync()
    {
        var values = await Db.HashGetAsync(keys.HostUsage, [UsageFields.MemoryBytes, UsageFields.MilliCpus]);
        return new HostUsage(values[0].HasValue ? (long)values[0] : 0, values[1].HasValue ? (long)values[1] : 0);
    }

    /// <summary>
    /// Sets the host usage to the sum of every service's counted share, atomically: repairs drift (shares counted
    /// before the host budget existed would otherwise be released from a total that never held them).
    /// </summary>
    public async Task<HostUsage> RecountHostUsageAsync()
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(StateScripts.RecountHostUsage, new
        {
            serviceUsage = keys.ServiceUsage, hostUsage = keys.HostUsage,
        }))!;
        return new HostUsage((long)result[0], (long)result[1]);
    }

    /// <summary>Every service that holds a port reservation, with its port.</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> ReservedAsync()
    {
        var entries = await Db.HashGetAllAsync(keys.ServicePorts);
        return entries.Where(e => Guid.TryParse(e.Name.ToString(), out _))
            .ToDictionary(e => Guid.Parse(e.Name.ToString()), e => (int)e.Value);
    }

    /// <summary>The port reserved for a service, if any.</summary>
    public async Task<int?> FindPortAsync(Guid serviceId)
    {
        var value = await Db.HashGetAsync(keys.ServicePorts, serviceId.ToString("D"));
        return value.HasValue ? (int)value : null;
    }

    /// <summary>Whether a host port is held by any service.</summary>
    public Task<bool> IsPortHeldAsync(int port) => Db.HashExistsAsync(keys.Ports, port);

    /// <summary>How many ports are held (synchronous: metrics gauges read it on their own thread).</summary>
    public long CountHeld() => Db.HashLength(keys.Ports);
}
