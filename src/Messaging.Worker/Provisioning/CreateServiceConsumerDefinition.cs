using MassTransit;
using Messaging.Contracts;
using StackExchange.Redis;

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
        // Only a Redis outage is worth retrying; every refusal is already a failure event, never an exception.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Handle<RedisConnectionException>();
            retry.Handle<RedisTimeoutException>();
            retry.Handle<TimeoutException>();
            retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        });
        // Events leave only once the consumer has finished without an exception.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
