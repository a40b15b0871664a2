using System.Globalization;
using System.Text.Json;
using Messaging.State.Locks;
using Messaging.State.Reservations;
using Messaging.State.Scripts;
using Messaging.State.Tokens;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.State.Stacks;

/// <summary>What one member of a stack takes: its service, name and limits, and whether it needs a host port.</summary>
public sealed record MemberAllocation(Guid ServiceId, string ServiceName, long MemoryBytes, double Cpus, bool IsPublic)
{
    public long MilliCpus => (long)Math.Ceiling(Cpus * 1000);
}

/// <summary>How a whole-stack reservation ended; <see cref="Detail"/> names the name taken or the quota exceeded.</summary>
public sealed record StackReservation(ReserveOutcome Outcome, int? PublicPort = null, string? Detail = null);

/// <summary>
/// Reserves every member of a stack in one Lua script (<c>Scripts/reserve-stack.lua</c>): all names, the owner's
/// quota and the host budget for the sum of the members, and a port for the public member, or nothing at all. A
/// stack over a quota or the port range is refused whole and leaves no trace. Each member's share is written in
/// the same form as a plain service's, so releasing a member, the reconciler and the recount treat it as one.
/// </summary>
public sealed class StackReservations(
    IConnectionMultiplexer redis, RedisKeys keys, IOptions<PortRangeOptions> options, PortReservations services, TimeProvider clock)
{
    private readonly PortRangeOptions _range = options.Value;

    public async Task<StackReservation> ReserveAsync(string owner, Quota quota, IReadOnlyList<MemberAllocation> members,
        HostBudget? host, CancellationToken cancellationToken)
    {
        host ??= HostBudget.Unlimited;
        var json = JsonSerializer.Serialize(members.Select(m => new Dictionary<string, object>
        {
            ["id"] = m.ServiceId.ToString("D"), ["name"] = m.ServiceName, ["public"] = m.IsPublic,
            ["memory"] = m.MemoryBytes.ToString(CultureInfo.InvariantCulture),
            ["millicpus"] = m.MilliCpus.ToString(CultureInfo.InvariantCulture),
        }));
        var deadline = clock.GetUtcNow() + _range.LockWait;
        while (true)
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(StateScripts.ReserveStack, new
            {
                @lock = keys.ReservationLock, names = keys.Names, ports = keys.Ports, servicePorts = keys.ServicePorts,
                blocked = keys.BlockedPorts, usage = keys.Usage(owner), serviceUsage = keys.ServiceUsage, hostUsage = keys.HostUsage,
                token = RedisLock.NewToken(), lockTtlMs = (long)_range.LockTtl.TotalMilliseconds,
                members = json, owner,
                min = _range.Min, max = _range.Max, start = Random.Shared.Next(_range.Min, _range.Max + 1),
                now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                maxServices = quota.MaxServices ?? -1,
                maxMemoryBytes = quota.MaxMemoryBytes ?? -1,
                maxMilliCpus = quota.MaxCpus is { } maxCpus ? (long)Math.Floor(maxCpus * 1000) : -1,
                hostMaxMemoryBytes = host.MemoryBytes ?? -1, hostMaxMilliCpus = host.MilliCpus ?? -1,
            }))!;
            switch ((string?)result[0])
            {
                case "reserved":
                    var port = (string?)result[1];
                    return new StackReservation(ReserveOutcome.Reserved, string.IsNullOrEmpty(port) ? null : int.Parse(port, CultureInfo.InvariantCulture));
                case "name_taken": return new StackReservation(ReserveOutcome.NameTaken, Detail: (string?)result[1]);
                case "exhausted": return new StackReservation(ReserveOutcome.Exhausted);
                case "quota": return new StackReservation(ReserveOutcome.QuotaExceeded, Detail: (string?)result[1]);
                case "host": return new StackReservation(ReserveOutcome.HostCapacityExceeded, Detail: (string?)result[1]);
                case "locked":
                    if (clock.GetUtcNow() > deadline)
                        throw new TimeoutException($"The reservation lock {keys.ReservationLock} stayed held for over {_range.LockWait}.");
                    await Task.Delay(Random.Shared.Next(1, 4), cancellationToken);
                    continue;
                default: throw new InvalidOperationException($"Unexpected stack reservation result {(string?)result[0]}.");
            }
        }
    }

    /// <summary>Gives back every member's name, port and shares (each as a plain service's release does).</summary>
    public async Task ReleaseAsync(IEnumerable<(Guid ServiceId, string ServiceName)> members)
    {
        foreach (var (serviceId, serviceName) in members)
            await services.ReleaseAsync(serviceId, serviceName);
    }
}
