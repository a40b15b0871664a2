using MassTransit;
using Messaging.Contracts;

namespace Messaging.Audit.Notifications;

/// <summary>
/// Delivers the seven events to webhook subscribers, from a queue of its own (<c>webhook-deliveries</c>), so
/// a slow receiver delays neither the audit trail nor the worker.
/// </summary>
public sealed class WebhookConsumer(WebhookDispatcher dispatcher) :
    IConsumer<ServiceCreated>, IConsumer<ServiceCreationFailed>, IConsumer<ServiceStopped>, IConsumer<ServiceStarted>,
    IConsumer<ServiceRestarted>, IConsumer<ServiceRemoved>, IConsumer<ServiceCommandRejected>
{
    public Task Consume(ConsumeContext<ServiceCreated> context) => dispatcher.DispatchAsync(context);
    public Task Consume(ConsumeContext<ServiceCreationFailed> context) => dispatcher.DispatchAsync(context);
    public Task Consume(ConsumeContext<ServiceStopped> context) => dispatcher.DispatchAsync(context);
    public Task Consume(ConsumeContext<ServiceStarted> context) => dispatcher.DispatchAsync(context);
    public Task Consume(ConsumeContext<ServiceRestarted> context) => dispatcher.DispatchAsync(context);
    public Task Consume(ConsumeContext<ServiceRemoved> context) => dispatcher.DispatchAsync(context);
    public Task Consume(ConsumeContext<ServiceCommandRejected> context) => dispatcher.DispatchAsync(context);
}

/// <summary>Delivery policy of <see cref="WebhookConsumer"/>.</summary>
public sealed class WebhookConsumerDefinition : ConsumerDefinition<WebhookConsumer>
{
    public const string Queue = "webhook-deliveries";

    public WebhookConsumerDefinition()
    {
        EndpointName = Queue;
        // Each message may wait out a receiver's retries; several run side by side so one slow receiver
        // does not hold up the rest.
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WebhookConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 32;
        // No message retry: it would deliver again to the subscribers that already got the event.
    }
}
