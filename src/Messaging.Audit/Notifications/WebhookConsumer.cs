using MassTransit;

namespace Messaging.Audit.Notifications;

/// <summary>
/// Delivers one event type to webhook subscribers, from a queue of its own (<c>webhook-deliveries</c>), so a slow
/// receiver delays neither the audit trail nor the worker. One handler for every event, registered once per type
/// (<see cref="WebhookConsumerRegistration"/>).
/// </summary>
public sealed class WebhookConsumer<TEvent>(WebhookDispatcher dispatcher) : IConsumer<TEvent> where TEvent : class
{
    public Task Consume(ConsumeContext<TEvent> context) => dispatcher.DispatchAsync(context);
}

/// <summary>Delivery policy of <see cref="WebhookConsumer{TEvent}"/>: every event type on the one queue <c>webhook-deliveries</c>.</summary>
public sealed class WebhookConsumerDefinition<TEvent> : ConsumerDefinition<WebhookConsumer<TEvent>> where TEvent : class
{
    public WebhookConsumerDefinition()
    {
        EndpointName = WebhookConsumerRegistration.Queue;
        // Each message may wait out a receiver's retries; several run side by side so one slow receiver
        // does not hold up the rest.
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WebhookConsumer<TEvent>> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 32;
        // No message retry: it would deliver again to the subscribers that already got the event.
    }
}

public static class WebhookConsumerRegistration
{
    public const string Queue = "webhook-deliveries";

    /// <summary>One <see cref="WebhookConsumer{TEvent}"/> per event, all on <see cref="Queue"/>.</summary>
    public static void AddWebhookConsumers(this IBusRegistrationConfigurator bus)
    {
        foreach (var type in ServiceMessageTypes.Events)
            bus.AddConsumer(typeof(WebhookConsumer<>).MakeGenericType(type), typeof(WebhookConsumerDefinition<>).MakeGenericType(type));
    }
}
