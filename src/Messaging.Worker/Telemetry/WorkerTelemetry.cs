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
    }

    public Counter<long> Created { get; }
    public Counter<long> Failed { get; }
    public Histogram<double> CreationDuration { get; }
    public Counter<long> Reservations { get; }
    public UpDownCounter<long> InFlight { get; }

    /// <summary>Free host ports, read on each collection.</summary>
    public void ObserveFreePorts(Func<long> freePorts) =>
        _meter.CreateObservableGauge("messaging.ports.free", freePorts, description: "Host ports in the range not reserved.");

    public void Dispose() => _meter.Dispose();
}
