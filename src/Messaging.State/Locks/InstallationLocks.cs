using StackExchange.Redis;

namespace Messaging.State.Locks;

/// <summary>Locks one worker of the installation takes for work that must not run twice at once.</summary>
public sealed class InstallationLocks(IConnectionMultiplexer redis, RedisKeys keys)
{
    /// <summary>Waits for the lock around checking for (and creating) the services network.</summary>
    public Task<RedisLock> AcquireNetworkAsync(TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken) =>
        RedisLock.AcquireAsync(redis.GetDatabase(), keys.NetworkLock, ttl, wait, cancellationToken);

    /// <summary>The reconciler's lock, or null when another worker is reconciling (two would only repeat each other's work).</summary>
    public Task<RedisLock?> TryAcquireReconcilerAsync(TimeSpan ttl) =>
        RedisLock.TryAcquireAsync(redis.GetDatabase(), keys.ReconcilerLock, ttl);

    /// <summary>The pool keeper's pass (one worker at a time, so two keepers never both fill the same gap); null when another holds it.</summary>
    public Task<RedisLock?> TryAcquirePoolKeeperAsync(TimeSpan ttl) =>
        RedisLock.TryAcquireAsync(redis.GetDatabase(), keys.PoolKeeperLock, ttl);
}
