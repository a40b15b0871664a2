using System.Security.Cryptography;
using StackExchange.Redis;

namespace Messaging.State.Locks;

/// <summary>
/// A short Redis lock: SET NX PX with a random token, released by compare-and-delete so a holder whose
/// TTL ran out can never release someone else's lock. Whoever writes under it must also check the
/// token in the same atomic step (see <see cref="Token"/>): a paused holder may wake after expiry.
/// </summary>
public sealed class RedisLock : IAsyncDisposable
{
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

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
                    await _db.ScriptEvaluateAsync(RenewScript, [Key], [Token, (long)ttl.TotalMilliseconds]);
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
        await _db.ScriptEvaluateAsync(ReleaseScript, [Key], [Token]);
    }
}
