using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Messaging.Audit.Notifications;
using Messaging.State.Webhooks;
using Messaging.Testing;

namespace Messaging.UnitTests.Webhooks;

/// <summary>
/// The counters the webhook alerts read (<c>infra/prometheus/alerts.yml</c>): every failed try, and every delivery once
/// settled, by outcome. Measured on this host's own instruments only, so other tests' hosts running alongside count nothing here.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class WebhookMetricsTests
{
    private static DeliverWebhook Delivery(WebhookSubscription subscription, int attempt = 1) => new()
    {
        SubscriptionId = subscription.Id, EventType = "ServiceCreated", EventId = Guid.NewGuid().ToString("D"),
        Body = """{"id":"test"}""", Attempt = attempt,
    };

    /// <summary>What the instruments of one <see cref="WebhookMetrics"/> recorded: (instrument, outcome tag or null) to sum.</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        public ConcurrentDictionary<(string Instrument, string? Outcome), long> Sums { get; } = new();

        public Recorded(WebhookMetrics metrics)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument, metrics.Deliveries) || ReferenceEquals(instrument, metrics.FailedAttempts))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? outcome = null;
                foreach (var tag in tags)
                    if (tag.Key == "outcome")
                        outcome = tag.Value as string;
                Sums.AddOrUpdate((instrument.Name, outcome), value, (_, sum) => sum + value);
            });
            _listener.Start();
        }

        public long this[string instrument, string? outcome = null] => Sums.GetValueOrDefault((instrument, outcome));

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_delivered_try_counts_one_delivery_delivered_and_no_failed_try()
    {
        await using var audit = await AuditHarness.StartAsync();
        using var recorded = new Recorded(audit.Metrics);
        await using var receiver = TcpReceiver.Answering(204);
        var subscription = await audit.Subscribe(receiver.Url);

        await audit.Send(Delivery(subscription));

        await AuditHarness.Eventually(() => Task.FromResult(recorded["messaging.webhooks.deliveries", WebhookMetrics.Delivered]), sum => sum > 0);
        Assert.Equal(1, recorded["messaging.webhooks.deliveries", WebhookMetrics.Delivered]);
        Assert.Equal(0, recorded["messaging.webhooks.deliveries", WebhookMetrics.Failed]);
        Assert.Equal(0, recorded["messaging.webhooks.attempts.failed"]);
    }

    [Fact]
    public async Task Failed_tries_count_each_and_the_last_one_counts_the_delivery_failed()
    {
        await using var audit = await AuditHarness.StartAsync();
        using var recorded = new Recorded(audit.Metrics);
        await using var receiver = TcpReceiver.Answering(503);
        var subscription = await audit.Subscribe(receiver.Url);
        var first = Delivery(subscription);

        await audit.Send(first); // retryable: sent to wait, not settled
        await AuditHarness.Eventually(() => Task.FromResult(recorded["messaging.webhooks.attempts.failed"]), sum => sum >= 1);
        Assert.Equal(0, recorded["messaging.webhooks.deliveries", WebhookMetrics.Failed]);

        await audit.Send(first with { Attempt = AuditHarness.MaxAttempts }); // the last try
        await AuditHarness.Eventually(() => Task.FromResult(recorded["messaging.webhooks.deliveries", WebhookMetrics.Failed]), sum => sum > 0);
        Assert.Equal(2, recorded["messaging.webhooks.attempts.failed"]);
        Assert.Equal(1, recorded["messaging.webhooks.deliveries", WebhookMetrics.Failed]);
        Assert.Equal(0, recorded["messaging.webhooks.deliveries", WebhookMetrics.Delivered]);
    }
}
