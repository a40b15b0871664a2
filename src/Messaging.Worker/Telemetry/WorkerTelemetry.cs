using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Messaging.Worker.Telemetry;

/// <summary>
/// The worker's own spans and metrics, next to MassTransit's: spans around the Redis reservation and
/// each engine call, so one trace runs from the API's request to the event; counters by outcome.
/// </summary>
public sealed class WorkerTelemetry : IDisposable
{
    public const string Name = "Messaging.Worker";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter = new(Name);

    public WorkerTelemetry()
    {
        Created = _meter.CreateCounter<long>("messaging.services.created", description: "Services created and started.");
        Failed = _meter.CreateCounter<long>("messaging.services.failed", description: "Creations that failed, by reason.");
        CreationDuration = _meter.CreateHistogram<double>("messaging.services.creation.duration", unit: "s",
            description: "From the command's consumption to the published outcome.");
        Reservations = _meter.CreateCounter<long>("messaging.reservations", description: "Port and name reservations, by outcome.");
        InFlight = _meter.CreateUpDownCounter<long>("messaging.consumer.in_flight", description: "Commands being handled now.");
        Restarts = _meter.CreateCounter<long>("messaging.supervisor.restarts", description: "Restarts the supervisor carried out, by reason (exited, unhealthy).");
        Exits = _meter.CreateCounter<long>("messaging.supervisor.exits", description: "Containers of running services that exited on their own, by OOM kill.");
        CrashLoops = _meter.CreateCounter<long>("messaging.supervisor.crash_loops", description: "Services the supervisor gave up on (crash_looping).");
        UnhealthyTransitions = _meter.CreateCounter<long>("messaging.supervisor.unhealthy", description: "Times a service's health check turned unhealthy.");
    }

    public Counter<long> Restarts { get; }
    public Counter<long> Exits { get; }
    public Counter<long> CrashLoops { get; }
    public Counter<long> UnhealthyTransitions { get; }

    /// <summary>Services unhealthy and services crash-looping now, as counted by the supervisor's last sweep.</summary>
    public void ObserveSupervision(Func<long> unhealthy, Func<long> crashLooping)
    {
        _meter.CreateObservableGauge("messaging.services.unhealthy", unhealthy, description: "Running services whose health check fails (last supervisor sweep).");
        _meter.CreateObservableGauge("messaging.services.crash_looping", crashLooping, description: "Services in crash_looping (last supervisor sweep).");
    }

    public Counter<long> Created { get; }
    public Counter<long> Failed { get; }
    public Histogram<double> CreationDuration { get; }
    public Counter<long> Reservations { get; }
    public UpDownCounter<long> InFlight { get; }

    /// <summary>
    /// Owners whose usage reached <c>Quotas:NearFraction</c> of their quota, as the last reconcile pass counted them (one
    /// series, whatever the number of owners); no measurement while the count is stale (<c>QuotaWatch</c>).
    /// </summary>
    public void ObserveQuotaNear(Func<long?> ownersNear) =>
        _meter.CreateObservableGauge("messaging.quota.owners_near_limit",
            () => ownersNear() is { } value ? [new Measurement<long>(value)] : Array.Empty<Measurement<long>>(),
            description: "Owners whose usage reached Quotas:NearFraction of a quota limit (last reconcile pass).");

    /// <summary>Free host ports, read on each collection.</summary>
    public void ObserveFreePorts(Func<long> freePorts) =>
        _meter.CreateObservableGauge("messaging.ports.free", freePorts, description: "Host ports in the range not reserved.");

    public void Dispose() => _meter.Dispose();
}
