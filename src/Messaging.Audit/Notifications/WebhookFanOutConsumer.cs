using MassTransit;
using Messaging.ServiceDefaults.Bus;
using Messaging.State.Webhooks;

namespace Messaging.Audit.Notifications;

/// <summary>
/// Turns one event into one <see cref="DeliverWebhook"/> per subscription that wants its type, sent to
/// <c>webhook-attempts</c>, where each is tried on its own (<see cref="DeliverWebhookConsumer"/>). The event is read from
/// a queue of its own (<c>webhook-deliveries</c>), so that webhooks delay neither the audit trail nor the worker. One
/// handler for every event, registered once per type (<see cref="WebhookConsumerRegistration"/>).
/// </summary>
public sealed class WebhookFanOutConsumer<TEvent>(WebhookStore store, TimeProvider clock) : IConsumer<TEvent> where TEvent : class
{
    private static readonly Uri Deliveries = new($"exchange:{WebhookRetrySchedule.DeliveryQueue}");

    public async Task Consume(ConsumeContext<TEvent> context)
    {
        var type = typeof(TEvent).Name;
        var subscriptions = (await store.ListAsync()).Where(s => s.Wants(type)).ToList();
        if (subscriptions.Count == 0)
            return;
        var eventId = (context.MessageId ?? NewId.NextGuid()).ToString("D");
        var occurredAt = context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : clock.GetUtcNow();
        var body = WebhookBody.Create(eventId, type, occurredAt, context.Message);
        // The exchange, not the queue: a queue address would make MassTransit declare webhook-attempts as a classic queue.
        var deliveries = await context.GetSendEndpoint(Deliveries);
        await Task.WhenAll(subscriptions.Select(subscription => deliveries.Send(new DeliverWebhook
        {
            SubscriptionId = subscription.Id, EventType = type, EventId = eventId, Body = body,
        }, context.CancellationToken)));
    }
}

/// <summary>
/// Delivery policy of <see cref="WebhookFanOutConsumer{TEvent}"/>: every event type on the one quorum queue
/// <c>webhook-deliveries</c>. A fan-out is one Redis read and a few sends; nothing here waits on a receiver.
/// </summary>
public sealed class WebhookFanOutConsumerDefinition<TEvent>()
    : SharedQueueConsumerDefinition<WebhookFanOutConsumer<TEvent>>(WebhookConsumerRegistration.EventQueue, concurrentMessageLimit: 8, prefetchCount: 32)
    where TEvent : class
{
    // Redis away for a moment: list again. Sends that went out before a failure go out again on the retry
    // (a receiver may get a delivery twice; it deduplicates on the delivery id).
    protected override void ConfigureDelivery(IConsumerConfigurator<WebhookFanOutConsumer<TEvent>> consumer, IRegistrationContext context) =>
        consumer.UseMessageRetry(retry => retry.HandleTransientFailures().Intervals(100, 500, 2000, 5000));
}

public static class WebhookConsumerRegistration
{
    /// <summary>The quorum queue events are fanned out from, bound to the exchange of every event type.</summary>
    public const string EventQueue = "webhook-deliveries";

    /// <summary>One <see cref="WebhookFanOutConsumer{TEvent}"/> per event on <see cref="EventQueue"/>, and the <see cref="DeliverWebhookConsumer"/>.</summary>
    public static void AddWebhookConsumers(this IBusRegistrationConfigurator bus)
    {
        foreach (var type in ServiceMessageTypes.Events)
            bus.AddConsumer(typeof(WebhookFanOutConsumer<>).MakeGenericType(type), typeof(WebhookFanOutConsumerDefinition<>).MakeGenericType(type));
        bus.AddConsumer<DeliverWebhookConsumer, DeliverWebhookConsumerDefinition>();
    }
}
