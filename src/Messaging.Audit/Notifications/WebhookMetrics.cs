using System.Diagnostics.Metrics;

namespace Messaging.Audit.Notifications;

/// <summary>
/// How webhook deliveries go, for alerting (<c>infra/prometheus/alerts.yml</c>): every failed try, which warns while
/// retries are still under way, and every delivery settled, delivered or failed for good.
/// </summary>
public sealed class WebhookMetrics : IDisposable
{
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    private readonly Meter _meter = new(AuditTelemetry.Name);

    public WebhookMetrics()
    {
        Deliveries = _meter.CreateCounter<long>("messaging.webhooks.deliveries",
            description: "Webhook deliveries settled, by outcome (delivered, failed: no more tries).");
        FailedAttempts = _meter.CreateCounter<long>("messaging.webhooks.attempts.failed",
            description: "Tries of a webhook delivery that failed (no answer, a non-2xx answer, the receiver's circuit open).");
    }

    public Counter<long> Deliveries { get; }
    public Counter<long> FailedAttempts { get; }

    public void Settled(bool delivered) =>
        Deliveries.Add(1, new KeyValuePair<string, object?>("outcome", delivered ? Delivered : Failed));

    public void Dispose() => _meter.Dispose();
}
