using MassTransit;
using Messaging.Contracts;

namespace Messaging.Worker.Builds;

/// <summary>
/// Relays a running build's log lines (already masked by <see cref="BuildLog"/>) to the API as
/// <see cref="ImageBuildLogged"/> batches, every <see cref="Interval"/>, so that <c>GET /api/v1/builds/{id}/logs</c>
/// can stream them. Published on the bus itself, not the consume context: the build consumer's outbox would hold
/// every line until the build ended. Best effort: a failed publish is logged and its lines are left to the record's tail.
/// </summary>
public sealed class LiveBuildLog : IAsyncDisposable
{
    /// <summary>How often lines are sent: a person watching sees them at once, the broker sees a few messages a second.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>Most lines in one message (a burst of output goes in several).</summary>
    public const int MaxLinesPerMessage = 200;

    private readonly IBus _bus;
    private readonly Guid _buildId;
    private readonly string _owner;
    private readonly BuildLog _log;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly List<string> _pending = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _sent;
    private int _completed;

    public LiveBuildLog(IBus bus, Guid buildId, string owner, BuildLog log, TimeProvider clock, ILogger logger)
    {
        (_bus, _buildId, _owner, _log, _clock, _logger) = (bus, buildId, owner, log, clock, logger);
        log.Line += Take;
        _loop = Task.Run(SendEveryIntervalAsync);
    }

    private void Take(string line)
    {
        lock (_gate)
            _pending.Add(line);
    }

    private async Task SendEveryIntervalAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(Interval, _clock, _stop.Token);
                await SendPendingAsync();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Completed: CompleteAsync sends the rest.
        }
    }

    private async Task SendPendingAsync()
    {
        while (true)
        {
            List<string> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                    return;
                batch = _pending[..Math.Min(MaxLinesPerMessage, _pending.Count)];
                _pending.RemoveRange(0, batch.Count);
            }
            var first = _sent + 1;
            _sent += batch.Count;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _bus.Publish(new ImageBuildLogged
                {
                    BuildId = _buildId, Owner = _owner, FirstLine = first, Lines = batch, LoggedAt = _clock.GetUtcNow(),
                }, timeout.Token);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogWarning("Live log lines {First}-{Last} of build {BuildId} not sent: {Error}", first, first + batch.Count - 1, _buildId, e.Message);
            }
        }
    }

    /// <summary>Ends the log (its last partial line becomes a line) and sends what is left; before the record says the build ended.</summary>
    public async Task CompleteAsync()
    {
        if (Interlocked.Exchange(ref _completed, 1) == 1)
            return;
        _log.Complete();
        await _stop.CancelAsync();
        await _loop;
        _log.Line -= Take;
        await SendPendingAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await CompleteAsync();
        _stop.Dispose();
    }
}
