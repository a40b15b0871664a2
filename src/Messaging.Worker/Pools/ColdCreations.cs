namespace Messaging.Worker.Pools;

/// <summary>
/// How many creations are taking the cold way right now: the pool keeper gives the engine to them first
/// (<see cref="PoolOptions.RefillConcurrencyUnderLoad"/>).
/// </summary>
public sealed class ColdCreations
{
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Counts one cold creation until disposed.</summary>
    public IDisposable Begin()
    {
        Interlocked.Increment(ref _inFlight);
        return new Ending(this);
    }

    private sealed class Ending(ColdCreations owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                Interlocked.Decrement(ref owner._inFlight);
        }
    }
}
