using System.Text.Json;
using MassTransit.Testing;
using Messaging.Audit.Notifications;
using Messaging.Contracts;
using Messaging.State.Webhooks;
using Messaging.Testing;

namespace Messaging.UnitTests.Webhooks;

/// <summary>
/// The audit host's webhook path on the in-memory bus: an event becomes one delivery per subscription, and each
/// delivery is tried and settled on its own (delivered, sent to wait for its next try, or failed for good).
/// </summary>
[Trait("Requires", "Redis")]
public sealed class WebhookFanOutTests
{
    private static ServiceCreationFailed Event() => new()
    {
        CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "fanned", Reason = FailureReasons.ImageNotAllowed,
        Message = "Image 'ubuntu:latest' is not on the allowlist.", FailedAt = DateTimeOffset.UtcNow,
    };

    private static DeliverWebhook Delivery(WebhookSubscription subscription, int attempt = 1) => new()
    {
        SubscriptionId = subscription.Id, EventType = nameof(ServiceCreationFailed), EventId = Guid.NewGuid().ToString("D"),
        Body = """{"id":"test"}""", Attempt = attempt,
    };

    private static List<ISentMessage<DeliverWebhook>> Sent(AuditHarness audit, Func<DeliverWebhook, bool> match) =>
        [.. audit.Harness.Sent.Select<DeliverWebhook>().Where(m => match(m.Context.Message))];

    private static Task<IReadOnlyList<WebhookDelivery>> Records(AuditHarness audit, WebhookSubscription subscription, int atLeast) =>
        AuditHarness.Eventually(() => audit.Store.DeliveriesAsync(subscription.Id, 100), records => records.Count >= atLeast);

    [Fact]
    public async Task An_event_becomes_one_delivery_per_subscription_that_wants_it_with_the_same_id_and_body()
    {
        await using var audit = await AuditHarness.StartAsync();
        await using var receiver = TcpReceiver.Answering(200);
        var all = await audit.Subscribe(receiver.Url);
        var failures = await audit.Subscribe(receiver.Url, nameof(ServiceCreationFailed), nameof(ServiceCreated));
        var removals = await audit.Subscribe(receiver.Url, nameof(ServiceRemoved));
        var failed = Event();

        await audit.Harness.Bus.Publish(failed);
        var ours = await AuditHarness.Eventually(() => Task.FromResult(Sent(audit, d => d.Body.Contains(failed.ServiceId.ToString("D")))),
            sent => sent.Count >= 2);

        Assert.Equal(new[] { all.Id, failures.Id }.Order(), ours.Select(m => m.Context.Message.SubscriptionId).Order());
        Assert.All(ours, m => Assert.EndsWith("/webhook-attempts", m.Context.DestinationAddress!.AbsolutePath));
        var deliveries = ours.Select(m => m.Context.Message).ToList();
        Assert.All(deliveries, d => Assert.Equal(1, d.Attempt));
        Assert.Single(deliveries.Select(d => d.EventId).Distinct());
        Assert.Single(deliveries.Select(d => d.Body).Distinct());
        var body = JsonDocument.Parse(deliveries[0].Body).RootElement;
        Assert.Equal(deliveries[0].EventId, body.GetProperty("id").GetString());
        Assert.Equal(nameof(ServiceCreationFailed), body.GetProperty("type").GetString());
        Assert.Equal(failed.ServiceId, body.GetProperty("data").GetProperty("service_id").GetGuid());

        // Each is then delivered and recorded on its own; the subscription that wants other types gets nothing.
        Assert.Equal(WebhookDelivery.Delivered, Assert.Single(await Records(audit, all, 1)).Status);
        Assert.Equal(WebhookDelivery.Delivered, Assert.Single(await Records(audit, failures, 1)).Status);
        Assert.Equal(2, receiver.Connections);
        Assert.Empty(await audit.Store.DeliveriesAsync(removals.Id, 10));
    }

    [Fact]
    public async Task An_event_no_subscription_wants_sends_nothing()
    {
        await using var audit = await AuditHarness.StartAsync();
        await audit.Subscribe("http://127.0.0.1:9/hook", nameof(ServiceRemoved));
        var failed = Event();
        await audit.Harness.Bus.Publish(failed);
        Assert.True(await audit.Consumed<WebhookFanOutConsumer<ServiceCreationFailed>, ServiceCreationFailed>(e => e.ServiceId == failed.ServiceId));
        Assert.Empty(Sent(audit, d => d.Body.Contains(failed.ServiceId.ToString("D"))));
    }

    [Fact]
    public async Task A_try_that_fails_is_sent_to_wait_for_the_next_and_the_last_one_is_recorded_failed()
    {
        await using var audit = await AuditHarness.StartAsync();
        await using var receiver = TcpReceiver.Answering(503);
        var subscription = await audit.Subscribe(receiver.Url);
        var first = Delivery(subscription);

        await audit.Send(first);
        var retry = (await AuditHarness.Eventually(() => Task.FromResult(Sent(audit, d => d.EventId == first.EventId && d.Attempt == 2)),
            sent => sent.Count > 0)).Single();
        Assert.Equal(first with { Attempt = 2 }, retry.Context.Message);
        // To the wait queue of the first wait (50 ms), with its own TTL a little shorter (jitter).
        Assert.Equal("/webhook-attempts-wait-50ms", retry.Context.DestinationAddress!.AbsolutePath);
        Assert.InRange(retry.Context.TimeToLive!.Value, TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(50));
        Assert.Empty(await audit.Store.DeliveriesAsync(subscription.Id, 10)); // not settled yet

        await audit.Send(first with { Attempt = AuditHarness.MaxAttempts });
        var record = Assert.Single(await Records(audit, subscription, 1));
        Assert.Equal((WebhookDelivery.Failed, AuditHarness.MaxAttempts, (int?)503, "answered 503", first.EventId),
            (record.Status, record.Attempts, record.StatusCode, record.Error, record.EventId));
        Assert.Empty(Sent(audit, d => d.EventId == first.EventId && d.Attempt > AuditHarness.MaxAttempts));
        Assert.Equal(2, receiver.Connections);
    }

    [Fact]
    public async Task A_delivered_try_is_recorded_with_its_number()
    {
        await using var audit = await AuditHarness.StartAsync();
        await using var receiver = TcpReceiver.Answering(200);
        var subscription = await audit.Subscribe(receiver.Url);
        var delivery = Delivery(subscription, attempt: 2);

        await audit.Send(delivery);
        var record = Assert.Single(await Records(audit, subscription, 1));
        Assert.Equal((WebhookDelivery.Delivered, 2, (int?)200, (string?)null, delivery.EventType),
            (record.Status, record.Attempts, record.StatusCode, record.Error, record.EventType));
    }

    [Fact]
    public async Task A_final_answer_ends_the_delivery_at_once()
    {
        await using var audit = await AuditHarness.StartAsync();
        await using var receiver = TcpReceiver.Answering(410);
        var subscription = await audit.Subscribe(receiver.Url);
        var delivery = Delivery(subscription);

        await audit.Send(delivery);
        var record = Assert.Single(await Records(audit, subscription, 1));
        Assert.Equal((WebhookDelivery.Failed, 1, (int?)410), (record.Status, record.Attempts, record.StatusCode));
        Assert.Empty(Sent(audit, d => d.EventId == delivery.EventId && d.Attempt > 1));
    }

    [Fact]
    public async Task A_delivery_for_a_deleted_subscription_is_dropped_without_a_request()
    {
        await using var audit = await AuditHarness.StartAsync();
        await using var receiver = TcpReceiver.Answering(200);
        var subscription = await audit.Subscribe(receiver.Url);
        Assert.True(await audit.Store.DeleteAsync(subscription.Id));
        var delivery = Delivery(subscription);

        await audit.Send(delivery);
        Assert.True(await audit.Consumed<DeliverWebhookConsumer, DeliverWebhook>(d => d.EventId == delivery.EventId));
        Assert.Equal(0, receiver.Connections);
        Assert.Empty(await audit.Store.DeliveriesAsync(subscription.Id, 10));
        Assert.Empty(Sent(audit, d => d.EventId == delivery.EventId && d.Attempt > 1));
    }
}
