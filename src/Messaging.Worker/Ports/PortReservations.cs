using Messaging.Records;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Worker.Ports;

public enum ReservationOutcome { Reserved, NameTaken, Exhausted }

public sealed record PortReservation(ReservationOutcome Outcome, int Port = 0);

/// <summary>
/// Reserves a service's name and host port together. The work happens under a short lock and in one
/// Lua script that re-checks the lock token, so a holder that lost its lock (paused past the TTL)
/// writes nothing. The reservation is idempotent per service id: a redelivered command gets the same
/// port back. Docker is never called while the lock is held.
/// </summary>
public sealed class PortReservations(
    IConnectionMultiplexer redis, RedisKeys keys, IOptions<PortRangeOptions> options, TimeProvider clock)
{
    private readonly PortRangeOptions _range = options.Value;

    /// <summary>
    /// Reserves (or returns the existing reservation of) a port and the name for a service.
    /// With <paramref name="refusedPort"/>, that port is given up and skipped for a while first:
    /// the engine said something else holds it.
    /// </summary>
    public async Task<PortReservation> ReserveAsync(Guid serviceId, string name, int? refusedPort, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        while (true)
        {
            await using var reservationLock = await RedisLock.AcquireAsync(db, keys.ReservationLock, _range.LockTtl, _range.LockWait, cancellationToken);
            var start = Random.Shared.Next(_range.Min, _range.Max + 1);
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(ReserveScript,
                [reservationLock.Key, keys.Names, keys.Ports, keys.ServicePorts, keys.BlockedPorts],
                [reservationLock.Token, serviceId.ToString("D"), name, _range.Min, _range.Max, start,
                 clock.GetUtcNow().ToUnixTimeMilliseconds(), refusedPort?.ToString() ?? "",
                 (long)_range.BlockRefusedPortFor.TotalMilliseconds]))!;
            switch ((string?)result[0])
            {
                case "reserved": return new PortReservation(ReservationOutcome.Reserved, (int)result[1]);
                case "name_taken": return new PortReservation(ReservationOutcome.NameTaken);
                case "exhausted": return new PortReservation(ReservationOutcome.Exhausted);
                case "lock_lost": continue; // we stalled past the TTL; nothing was written, take it again
                default: throw new InvalidOperationException($"Unexpected reservation result {result[0]}.");
            }
        }
    }

    /// <summary>Gives back the port and the name, if this service still holds them.</summary>
    public async Task ReleaseAsync(Guid serviceId, string name)
    {
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript,
            [keys.Names, keys.Ports, keys.ServicePorts], [serviceId.ToString("D"), name]);
    }

    /// <summary>The port reserved for a service, if any.</summary>
    public async Task<int?> FindPortAsync(Guid serviceId)
    {
        var value = await redis.GetDatabase().HashGetAsync(keys.ServicePorts, serviceId.ToString("D"));
        return value.HasValue ? (int)value : null;
    }

    // KEYS: lock, names, ports, service-ports, blocked.
    // ARGV: token, service id, name, min, max, start, now ms, refused port or "", block ms.
    private const string ReserveScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'lock_lost'} end
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
        local min, max, start = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
        local span = max - min + 1
        for i = 0, span - 1 do
          local port = min + ((start - min + i) % span)
          if redis.call('HEXISTS', KEYS[3], port) == 0 and not redis.call('ZSCORE', KEYS[5], port) then
            redis.call('HSET', KEYS[3], port, id)
            redis.call('HSET', KEYS[4], id, port)
            redis.call('HSET', KEYS[2], name, id)
            return {'reserved', tostring(port)}
          end
        end
        return {'exhausted'}
        """;

    // KEYS: names, ports, service-ports. ARGV: service id, name.
    private const string ReleaseScript = """
        local port = redis.call('HGET', KEYS[3], ARGV[1])
        if port then
          if redis.call('HGET', KEYS[2], port) == ARGV[1] then redis.call('HDEL', KEYS[2], port) end
          redis.call('HDEL', KEYS[3], ARGV[1])
        end
        if redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[2]) end
        return 0
        """;
}
