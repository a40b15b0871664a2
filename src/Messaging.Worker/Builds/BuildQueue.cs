using Microsoft.Extensions.Options;

namespace Messaging.Worker.Builds;

/// <summary>
/// This worker's build slots (<c>Builds:MaxConcurrentBuilds</c>, one by default) and the builds waiting for one, in
/// arrival order. Whenever the line moves, every waiting build is told its position (0: next), which the consumer
/// writes to its record for <c>GET /api/v1/builds/{id}</c>.
/// </summary>
public sealed class BuildQueue(IOptions<BuildOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentBuilds, options.Value.MaxConcurrentBuilds);
    private readonly List<(Guid BuildId, Func<int, Task> OnPosition)> _waiting = [];
    private readonly object _gate = new();

    /// <summary>Builds waiting for a slot now.</summary>
    public int Waiting { get { lock (_gate) return _waiting.Count; } }

    /// <summary>Waits for a slot; dispose the result to free it.</summary>
    public async Task<IDisposable> EnterAsync(Guid buildId, Func<int, Task> onPosition, CancellationToken cancellationToken)
    {
        if (_slots.Wait(0))
            return new Slot(_slots);
        lock (_gate)
            _waiting.Add((buildId, onPosition));
        await Announce();
        try
        {
            await _slots.WaitAsync(cancellationToken);
        }
        finally
        {
            lock (_gate)
                _waiting.RemoveAll(w => w.BuildId == buildId);
            await Announce();
        }
        return new Slot(_slots);
    }

    private async Task Announce()
    {
        List<(Guid, Func<int, Task>)> line;
        lock (_gate)
            line = [.. _waiting];
        for (var position = 0; position < line.Count; position++)
            await line[position].Item2(position);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                slots.Release();
        }
    }
}
