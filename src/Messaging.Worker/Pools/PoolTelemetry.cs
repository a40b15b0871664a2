using System.Diagnostics.Metrics;

namespace Messaging.Worker.Pools;

/// <summary>
/// The pools' metrics, on the worker's meter name (so the existing Prometheus export carries them):
/// <c>messaging.pool.hits</c>, <c>messaging.pool.misses</c>, <c>messaging.pool.not_eligible</c> (by reason),
/// <c>messaging.pool.idle</c> and <c>messaging.pool.target</c> per pool, <c>messaging.pool.refills</c> by outcome.
/// </summary>
public sealed class PoolTelemetry : IDisposable
{
    private readonly Meter _meter = new(Telemetry.WorkerTelemetry.Name);

    public PoolTelemetry(PoolDefinitions pools, Messaging.State.Pools.PoolState state)
    {
        Hits = _meter.CreateCounter<long>("messaging.pool.hits", description: "Creations served by a warm pool member, by pool.");
        Misses = _meter.CreateCounter<long>("messaging.pool.misses", description: "Creations that qualified for a pool but found it empty, by pool.");
        NotEligible = _meter.CreateCounter<long>("messaging.pool.not_eligible", description: "Creations of a pooled image that did not qualify, by reason.");
        Refills = _meter.CreateCounter<long>("messaging.pool.refills", description: "Pool members created, by outcome (ready, failed).");
        if (pools.All.Count == 0)
            return;
        _meter.CreateObservableGauge("messaging.pool.idle",
            () => pools.All.Select(p => new Measurement<long>(state.CountIdle(p.Name), new KeyValuePair<string, object?>("pool", p.Name))),
            description: "Idle (claimable) members, by pool.");
        _meter.CreateObservableGauge("messaging.pool.target",
            () => pools.All.Select(p => new Measurement<long>(p.Size, new KeyValuePair<string, object?>("pool", p.Name))),
            description: "Idle members each pool is kept at.");
    }

    public Counter<long> Hits { get; }
    public Counter<long> Misses { get; }
    public Counter<long> NotEligible { get; }
    public Counter<long> Refills { get; }

    public void Dispose() => _meter.Dispose();
}
