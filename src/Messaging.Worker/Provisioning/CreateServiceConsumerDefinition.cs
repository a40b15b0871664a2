using MassTransit;
using Messaging.Contracts;

namespace Messaging.Worker.Provisioning;

/// <summary>Delivery policy of <see cref="CreateServiceConsumer"/>.</summary>
public sealed class CreateServiceConsumerDefinition : ConsumerDefinition<CreateServiceConsumer>
{
    public CreateServiceConsumerDefinition()
    {
        EndpointName = CommandQueues.CreateService;
        // The engine sustains about 8 creations in flight; more only queues inside dockerd.
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CreateServiceConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 16;
        endpointConfigurator.UseMessageRetry(TransientFailures.Retry);
        // Events leave only once the consumer has finished without an exception.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
