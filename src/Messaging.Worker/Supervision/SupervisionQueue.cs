using System.Threading.Channels;

namespace Messaging.Worker.Supervision;

/// <summary>
/// The services the supervisor should look at next, one at a time, in the order asked: fed by the engine's events, by
/// restarts coming due, by the sweep and by the worker's own health probes. A service asked for twice is looked at
/// twice; a look is idempotent.
/// </summary>
public sealed class SupervisionQueue
{
    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public void Look(Guid serviceId) => _queue.Writer.TryWrite(serviceId);

    /// <summary>Asks for a look after <paramref name="delay"/> (a restart coming due), unless the worker stops first.</summary>
    public void LookLater(Guid serviceId, TimeSpan delay, CancellationToken stoppingToken) =>
        _ = Task.Delay(delay, stoppingToken).ContinueWith(_ => Look(serviceId), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    public IAsyncEnumerable<Guid> ReadAllAsync(CancellationToken stoppingToken) => _queue.Reader.ReadAllAsync(stoppingToken);
}
