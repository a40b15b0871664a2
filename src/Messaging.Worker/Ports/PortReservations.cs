using Messaging.State.Locks;
using Messaging.State;
using Messaging.State.Tokens;
using Messaging.Worker.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Worker.Ports;

public enum ReservationOutcome { Reserved, NameTaken, Exhausted, QuotaExceeded }

public sealed record PortReservation(ReservationOutcome Outcome, int Port = 0, string? Detail = null);

/// <summary>What a new service takes from its owner's quota.</summary>
public sealed record Allocation(string Owner, long MemoryBytes, double Cpus, Quota Quota)
{
    public long MilliCpus => (long)Math.Ceiling(Cpus * 1000);

    /// <summary>For callers that do not count usage (tests of the port logic alone).</summary>
    public static Allocation Uncounted(string owner = "test") => new(owner, 0, 0, Quota.Unlimited);
}

/// <summary>
/// Reserves a service's name and host port together, in one Lua script: Redis runs a script without
/// interleaving anything else, so the read-pick-write of a port is atomic in one round trip. The script
/// still takes the reservation lock (random token, TTL) on entry and releases it by compare-and-delete
/// before it returns, so whoever holds that lock through the ordinary SET NX protocol (an operator's
/// repair, say) pauses reservations until it lets go. Held for microseconds, never across a Docker call;
/// no holder can stall inside it. Taking the lock in a separate round trip, as before, cost a lock convoy
/// of 8 reservers: 1,700 reservations/s instead of 14,000 (docs/BENCHMARKS.md).
/// The reservation is idempotent per service id: a redelivered command gets the same port back.
/// </summary>
public sealed class PortReservations(
    IConnectionMultiplexer redis, RedisKeys keys, IOptions<PortRangeOptions> options, TimeProvider clock)
{
    private readonly PortRangeOptions _range = options.Value;

    /// <summary>
    /// Reserves (or returns the existing reservation of) a port and the name for a service, and counts
    /// it in its owner's usage, all in one atomic step, so concurrent creations cannot overshoot a quota.
    /// With <paramref name="refusedPort"/>, that port is given up and skipped for a while first:
    /// the engine said something else holds it.
    /// </summary>
    public async Task<PortReservation> ReserveAsync(Guid serviceId, string name, Allocation allocation, int? refusedPort, CancellationToken cancellationToken)
    {
        using var activity = WorkerTelemetry.Source.StartActivity("reserve port and name");
        activity?.SetTag("messaging.service_id", serviceId.ToString("D"));
        var db = redis.GetDatabase();
        var deadline = clock.GetUtcNow() + _range.LockWait;
        while (true)
        {
            var start = Random.Shared.Next(_range.Min, _range.Max + 1);
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(ReserveScript,
                [keys.ReservationLock, keys.Names, keys.Ports, keys.ServicePorts, keys.BlockedPorts,
                 keys.Usage(allocation.Owner), keys.ServiceUsage],
                [RedisLock.NewToken(), serviceId.ToString("D"), name, _range.Min, _range.Max, start,
                 clock.GetUtcNow().ToUnixTimeMilliseconds(), refusedPort?.ToString() ?? "",
                 (long)_range.BlockRefusedPortFor.TotalMilliseconds,
                 allocation.Owner, allocation.MemoryBytes, allocation.MilliCpus,
                 allocation.Quota.MaxServices ?? -1, allocation.Quota.MaxMemoryBytes ?? -1,
                 allocation.Quota.MaxCpus is { } maxCpus ? (long)Math.Floor(maxCpus * 1000) : -1,
                 (long)_range.LockTtl.TotalMilliseconds]))!;
            activity?.SetTag("messaging.reservation", (string?)result[0]);
            switch ((string?)result[0])
            {
                case "reserved": return new PortReservation(ReservationOutcome.Reserved, (int)result[1]);
                case "name_taken": return new PortReservation(ReservationOutcome.NameTaken);
                case "exhausted": return new PortReservation(ReservationOutcome.Exhausted);
                case "quota": return new PortReservation(ReservationOutcome.QuotaExceeded, Detail: (string?)result[1]);
                case "locked":
                    // Someone outside a script holds the lock (nothing of ours does). Wait for it like any
                    // other taker would; a lock that outlives LockWait means Redis is not usable for us.
                    if (clock.GetUtcNow() > deadline)
                        throw new TimeoutException($"The reservation lock {keys.ReservationLock} stayed held for over {_range.LockWait}.");
                    await Task.Delay(Random.Shared.Next(1, 4), cancellationToken);
                    continue;
                default: throw new InvalidOperationException($"Unexpected reservation result {result[0]}.");
            }
        }
    }

    /// <summary>Gives back the port, the name and the quota share, if this service still holds them (name "" = whatever name it holds).</summary>
    public async Task ReleaseAsync(Guid serviceId, string name)
    {
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript,
            [keys.Names, keys.Ports, keys.ServicePorts, keys.ServiceUsage], [serviceId.ToString("D"), name, keys.Prefix]);
    }

    /// <summary>
    /// Puts back the reservation of a container the engine runs (after Redis lost it). Returns
    /// "restored", "intact", or "conflict" when another service holds that port or name.
    /// </summary>
    public async Task<string> RestoreAsync(Guid serviceId, string name, int port, Allocation allocation)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(RestoreScript,
            [keys.Names, keys.Ports, keys.ServicePorts, keys.Usage(allocation.Owner), keys.ServiceUsage],
            [serviceId.ToString("D"), name, port, allocation.Owner, allocation.MemoryBytes, allocation.MilliCpus]);
        return (string)result!;
    }

    /// <summary>Every service that holds a port reservation, with its port.</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> ReservedAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(keys.ServicePorts);
        return entries.Where(e => Guid.TryParse(e.Name.ToString(), out _))
            .ToDictionary(e => Guid.Parse(e.Name.ToString()), e => (int)e.Value);
    }

    /// <summary>The port reserved for a service, if any.</summary>
    public async Task<int?> FindPortAsync(Guid serviceId)
    {
        var value = await redis.GetDatabase().HashGetAsync(keys.ServicePorts, serviceId.ToString("D"));
        return value.HasValue ? (int)value : null;
    }

    // KEYS: lock, names, ports, service-ports, blocked, owner usage, service usage.
    // ARGV: token, service id, name, min, max, start, now ms, refused port or "", block ms,
    //       owner, memory bytes, millicpus, max services, max memory bytes, max millicpus (-1: unlimited),
    //       lock TTL ms.
    // The body runs as reserve(); the lock is taken before it and released (compare-and-delete) after it
    // whatever it returns. Our hold never outlives the script; the TTL and the token are the protocol any
    // other holder follows, and the compare-and-delete keeps us from ever deleting someone else's lock.
    private const string ReserveScript = """
        if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[16]) then return {'locked'} end
        local function reserve()
          local id, name = ARGV[2], ARGV[3]
          local now = tonumber(ARGV[7])
          redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
          local holder = redis.call('HGET', KEYS[2], name)
          if holder and holder ~= id then return {'name_taken'} end
          local current = redis.call('HGET', KEYS[4], id)
          if current and current == ARGV[8] then
            redis.call('ZADD', KEYS[5], now + tonumber(ARGV[9]), current)
            if redis.call('HGET', KEYS[3], current) == id then redis.call('HDEL', KEYS[3], current) end
            redis.call('HDEL', KEYS[4], id)
            current = false
          end
          if current then
            redis.call('HSET', KEYS[2], name, id)
            return {'reserved', current}
          end
          local counted = redis.call('HEXISTS', KEYS[7], id) == 1
          local memory, millicpus = tonumber(ARGV[11]), tonumber(ARGV[12])
          if not counted then
            local usage = redis.call('HMGET', KEYS[6], 'services', 'memory_bytes', 'millicpus')
            local services, used_memory, used_cpus = tonumber(usage[1] or '0'), tonumber(usage[2] or '0'), tonumber(usage[3] or '0')
            local max_services, max_memory, max_cpus = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
            if max_services >= 0 and services + 1 > max_services then return {'quota', 'services'} end
            if max_memory >= 0 and used_memory + memory > max_memory then return {'quota', 'memory'} end
            if max_cpus >= 0 and used_cpus + millicpus > max_cpus then return {'quota', 'cpus'} end
          end
          local min, max, start = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
          local span = max - min + 1
          for i = 0, span - 1 do
            local port = min + ((start - min + i) % span)
            if redis.call('HEXISTS', KEYS[3], port) == 0 and not redis.call('ZSCORE', KEYS[5], port) then
              redis.call('HSET', KEYS[3], port, id)
              redis.call('HSET', KEYS[4], id, port)
              redis.call('HSET', KEYS[2], name, id)
              if not counted then
                redis.call('HINCRBY', KEYS[6], 'services', 1)
                redis.call('HINCRBY', KEYS[6], 'memory_bytes', memory)
                redis.call('HINCRBY', KEYS[6], 'millicpus', millicpus)
                redis.call('HSET', KEYS[7], id, ARGV[10] .. ' ' .. memory .. ' ' .. millicpus)
              end
              return {'reserved', tostring(port)}
            end
          end
          return {'exhausted'}
        end
        local result = reserve()
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        return result
        """;

    // KEYS: names, ports, service-ports, owner usage, service usage. ARGV: service id, name, port, owner, memory, millicpus.
    private const string RestoreScript = """
        local id, name, port = ARGV[1], ARGV[2], ARGV[3]
        local holder = redis.call('HGET', KEYS[2], port)
        if holder and holder ~= id then return 'conflict' end
        local named = redis.call('HGET', KEYS[1], name)
        if named and named ~= id then return 'conflict' end
        local changed = false
        if not holder then redis.call('HSET', KEYS[2], port, id); changed = true end
        if redis.call('HGET', KEYS[3], id) ~= port then redis.call('HSET', KEYS[3], id, port); changed = true end
        if not named then redis.call('HSET', KEYS[1], name, id); changed = true end
        if redis.call('HEXISTS', KEYS[5], id) == 0 then
          redis.call('HINCRBY', KEYS[4], 'services', 1)
          redis.call('HINCRBY', KEYS[4], 'memory_bytes', ARGV[5])
          redis.call('HINCRBY', KEYS[4], 'millicpus', ARGV[6])
          redis.call('HSET', KEYS[5], id, ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6])
          changed = true
        end
        if changed then return 'restored' end
        return 'intact'
        """;

    // KEYS: names, ports, service-ports, service usage. ARGV: service id, name, key prefix.
    // The owner's usage key is derived from the stored allocation, so it is built inside the script.
    private const string ReleaseScript = """
        local counted = redis.call('HGET', KEYS[4], ARGV[1])
        if counted then
          local owner, memory, millicpus = string.match(counted, '^(.*) (%d+) (%d+)$')
          -- 0 - n, not -n: Lua prints -0 as "-0", which HINCRBY refuses.
          local usage = ARGV[3] .. 'usage:' .. owner
          redis.call('HINCRBY', usage, 'services', -1)
          redis.call('HINCRBY', usage, 'memory_bytes', 0 - tonumber(memory))
          redis.call('HINCRBY', usage, 'millicpus', 0 - tonumber(millicpus))
          redis.call('HDEL', KEYS[4], ARGV[1])
        end
        local port = redis.call('HGET', KEYS[3], ARGV[1])
        if port then
          if redis.call('HGET', KEYS[2], port) == ARGV[1] then redis.call('HDEL', KEYS[2], port) end
          redis.call('HDEL', KEYS[3], ARGV[1])
        end
        if ARGV[2] ~= '' then
          if redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[2]) end
        else
          -- Name unknown (the record is gone): find it by value. Rare: only the reconciler releases this way.
          local all = redis.call('HGETALL', KEYS[1])
          for i = 1, #all, 2 do
            if all[i + 1] == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) end
          end
        end
        return 0
        """;
}
