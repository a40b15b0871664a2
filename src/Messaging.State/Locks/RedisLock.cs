using System.Security.Cryptography;
using Messaging.State.Scripts;
using StackExchange.Redis;

namespace Messaging.State.Locks;

/// <summary>
/// A short Redis lock: SET NX PX with a random token, released by compare-and-delete so a holder whose
/// TTL ran out can never release someone else's lock. Whoever writes under it must also check the
/// token in the same atomic step (see <see cref="Token"/>): a paused holder may wake after expiry.
/// </summary>
public sealed class RedisLock : IAsyncDisposable
{
    private readonly IDatabase _db;
    private CancellationTokenSource? _renewal;

    private RedisLock(IDatabase db, RedisKey key, RedisValue token)
    {
        _db = db;
        Key = key;
        Token = token;
    }

    /// <summary>A fresh random value that proves ownership (also for locks taken inside a Lua script).</summary>
    public static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Takes the lock if it is free; null when someone holds it.</summary>
    public static async Task<RedisLock?> TryAcquireAsync(IDatabase db, RedisKey key, TimeSpan ttl)
    {
        var token = NewToken();
        return await db.StringSetAsync(key, token, ttl, When.NotExists) ? new RedisLock(db, key, token) : null;
    }

    /// <summary>
    /// Keeps extending the TTL while the holder works (long engine calls). If the process dies, renewal
    /// stops with it and the lock expires after one TTL, so a redelivery can proceed.
    /// </summary>
    public RedisLock KeepAlive(TimeSpan ttl)
    {
        _renewal = new CancellationTokenSource();
        var cancel = _renewal.Token;
        _ = Task.Run(async () =>
        {
            while (!cancel.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(ttl / 3, cancel);
                    if (!await RenewAsync(ttl))
                        return; // lost (expired while Redis was away, say): whoever holds it now is not to be extended
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (RedisException)
                {
                    // Redis is away; try again next round. The TTL bounds the damage.
                }
            }
        }, CancellationToken.None);
        return this;
    }

    public RedisKey Key { get; }

    /// <summary>The random value that proves ownership.</summary>
    public RedisValue Token { get; }

    /// <summary>Waits up to <paramref name="wait"/> for the lock; throws <see cref="TimeoutException"/> after.</summary>
    public static async Task<RedisLock> AcquireAsync(IDatabase db, RedisKey key, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken)
    {
        var token = NewToken();
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            if (await db.StringSetAsync(key, token, ttl, When.NotExists))
                return new RedisLock(db, key, token);
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Could not take the Redis lock {key} within {wait}.");
            // Holders keep it for well under a millisecond; a short jittered wait avoids a thundering herd.
            await Task.Delay(Random.Shared.Next(1, 4), cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_renewal is not null)
        {
            await _renewal.CancelAsync();
            _renewal.Dispose();
        }
        await ReleaseAsync();
    }

    /// <summary>Extends the TTL if this holder still has the lock; false when it was lost.</summary>
    public async Task<bool> RenewAsync(TimeSpan ttl) =>
        (long)await _db.ScriptEvaluateAsync(StateScripts.LockRenew, new { @lock = Key, token = Token, ttlMs = (long)ttl.TotalMilliseconds }) == 1;

    /// <summary>Releases the lock if this holder still has it (compare-and-delete); false when it was not ours any more.</summary>
    public async Task<bool> ReleaseAsync() =>
        (long)await _db.ScriptEvaluateAsync(StateScripts.LockRelease, new { @lock = Key, token = Token }) == 1;
}
