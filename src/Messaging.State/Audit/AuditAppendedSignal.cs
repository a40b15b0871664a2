using StackExchange.Redis;

namespace Messaging.State.Audit;

/// <summary>
/// Wakes the live event streams when the audit host appends an entry (it publishes the id on
/// <see cref="RedisKeys.AuditChannel"/>). StackExchange.Redis multiplexes one connection and cannot issue a
/// blocking <c>XREAD BLOCK</c>, so a stream waits on this signal and then reads with a plain XRANGE; a
/// short timeout covers a missed notification (pub/sub is fire-and-forget).
/// </summary>
public sealed class AuditAppendedSignal(IConnectionMultiplexer redis, RedisKeys keys) : IAsyncDisposable
{
    private readonly SemaphoreSlim _subscribing = new(1, 1);
    private TaskCompletionSource _next = NewSource();
    private bool _subscribed;

    /// <summary>Completes at the next append, after <paramref name="timeout"/>, or when cancelled (then it throws).</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        var next = Volatile.Read(ref _next).Task;
        await Task.WhenAny(next, Task.Delay(timeout, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task EnsureSubscribedAsync()
    {
        if (_subscribed)
            return;
        await _subscribing.WaitAsync();
        try
        {
            if (_subscribed)
                return;
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(keys.AuditChannel), (_, _) =>
                Interlocked.Exchange(ref _next, NewSource()).TrySetResult());
            _subscribed = true;
        }
        finally
        {
            _subscribing.Release();
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        if (_subscribed)
            await redis.GetSubscriber().UnsubscribeAsync(RedisChannel.Literal(keys.AuditChannel));
        _subscribing.Dispose();
    }
}
