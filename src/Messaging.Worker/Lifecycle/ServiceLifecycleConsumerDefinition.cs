using MassTransit;
using Messaging.Contracts;
using Messaging.ServiceDefaults.Bus;
using Messaging.Worker.Provisioning;

namespace Messaging.Worker.Lifecycle;

/// <summary>Delivery policy of <see cref="ServiceLifecycleConsumer{TCommand}"/>: the four commands share the queue <c>service-lifecycle</c>.</summary>
public sealed class ServiceLifecycleConsumerDefinition<TCommand>()
    : SharedQueueConsumerDefinition<ServiceLifecycleConsumer<TCommand>>(CommandQueues.ServiceLifecycle, concurrentMessageLimit: 8, prefetchCount: 16)
    where TCommand : class, IServiceCommand
{
    protected override void ConfigureDelivery(IConsumerConfigurator<ServiceLifecycleConsumer<TCommand>> consumer, IRegistrationContext context)
    {
        consumer.UseMessageRetry(TransientFailures.Retry);
        // Events leave only once the consumer has finished without an exception.
        consumer.UseInMemoryOutbox(context);
    }
}
