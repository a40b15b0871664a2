using MassTransit;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// Delivery policy of a consumer that shares its queue with the consumers of other message types: one generic
/// consumer registered once per type, as the worker's lifecycle commands, the audit trail and the webhook fan-out are.
/// MassTransit puts consumers with the same endpoint name on one endpoint (the largest concurrency and prefetch win),
/// so retry and the outbox go on each consumer (<see cref="ConfigureDelivery"/>): set on the endpoint, every
/// definition would add its own retry filter and they would stack.
/// </summary>
public abstract class SharedQueueConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly int _prefetchCount;

    protected SharedQueueConsumerDefinition(string queue, int concurrentMessageLimit, int prefetchCount)
    {
        EndpointName = queue;
        ConcurrentMessageLimit = concurrentMessageLimit;
        _prefetchCount = prefetchCount;
    }

    /// <summary>Retry, outbox and any other filter, on this consumer alone.</summary>
    protected abstract void ConfigureDelivery(IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context);

    protected sealed override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _prefetchCount;
        ConfigureDelivery(consumerConfigurator, context);
    }
}
