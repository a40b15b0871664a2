using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Provisioning;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// Delivery policy of <see cref="ServiceLifecycleConsumer{TCommand}"/>. The four commands share the queue
/// <c>service-lifecycle</c>: MassTransit puts consumers with the same endpoint name on one endpoint (the
/// largest concurrency and prefetch win), so retry and outbox are set on each consumer, not on the endpoint,
/// where four definitions would stack four retry filters.
/// </summary>
public sealed class ServiceLifecycleConsumerDefinition<TCommand> : ConsumerDefinition<ServiceLifecycleConsumer<TCommand>>
    where TCommand : class, IServiceCommand
{
    public ServiceLifecycleConsumerDefinition()
    {
        EndpointName = CommandQueues.ServiceLifecycle;
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ServiceLifecycleConsumer<TCommand>> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 16;
        consumerConfigurator.UseMessageRetry(TransientFailures.Retry);
        // Events leave only once the consumer has finished without an exception.
        consumerConfigurator.UseInMemoryOutbox(context);
    }
}
