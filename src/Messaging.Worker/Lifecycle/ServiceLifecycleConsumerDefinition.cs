using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Provisioning;

namespace Messaging.Worker.Lifecycle;

/// <summary>Delivery policy of <see cref="ServiceLifecycleConsumer"/>.</summary>
public sealed class ServiceLifecycleConsumerDefinition : ConsumerDefinition<ServiceLifecycleConsumer>
{
    public ServiceLifecycleConsumerDefinition()
    {
        EndpointName = CommandQueues.ServiceLifecycle;
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ServiceLifecycleConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 16;
        endpointConfigurator.UseMessageRetry(TransientFailures.Retry);
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
