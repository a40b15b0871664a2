using StackExchange.Redis;

namespace Messaging.State.Locks;

/// <summary>The service is being worked on by another delivery; the message is retried shortly.</summary>
public sealed class ServiceBusyException(Guid serviceId)
    : Exception($"Service {serviceId} is being changed by another command; retrying.");

/// <summary>
/// One command at a time per service: a duplicate delivery waits until the first is done and then
/// replays its outcome; a stop cannot interleave with a removal. This lock spans engine calls, so it is
/// per service (never global) and renewed while held; a crashed holder's lock expires after one TTL.
/// </summary>
public sealed class ServiceLocks(IConnectionMultiplexer redis, RedisKeys keys)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    /// <summary>Takes the service's lock or throws <see cref="ServiceBusyException"/> (retried by the consumer definition).</summary>
    public async Task<RedisLock> AcquireAsync(Guid serviceId)
    {
        var held = await RedisLock.TryAcquireAsync(redis.GetDatabase(), keys.ServiceLock(serviceId), Ttl);
        return held?.KeepAlive(Ttl) ?? throw new ServiceBusyException(serviceId);
    }

    /// <summary>Takes the service's lock if it is free (renewed while held); null when a command holds it. For the reconciler, which never waits.</summary>
    public async Task<RedisLock?> TryAcquireAsync(Guid serviceId) =>
        (await RedisLock.TryAcquireAsync(redis.GetDatabase(), keys.ServiceLock(serviceId), Ttl))?.KeepAlive(Ttl);

    /// <summary>Whether a command holds the service now (the reconciler leaves such services to it).</summary>
    public Task<bool> IsHeldAsync(Guid serviceId) => redis.GetDatabase().KeyExistsAsync(keys.ServiceLock(serviceId));
}
