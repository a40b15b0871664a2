using MassTransit;
using Messaging.Contracts;
using Messaging.ServiceDefaults.Bus;
using Messaging.Worker.Provisioning;

namespace Messaging.Worker.Stacks;

/// <summary>Delivery policy of <see cref="CreateStackConsumer"/>: the queue <c>stacks</c>, shared with <see cref="RemoveStackConsumer"/>.</summary>
public sealed class CreateStackConsumerDefinition()
    : SharedQueueConsumerDefinition<CreateStackConsumer>(CommandQueues.Stacks, concurrentMessageLimit: 4, prefetchCount: 8)
{
    protected override void ConfigureDelivery(IConsumerConfigurator<CreateStackConsumer> consumer, IRegistrationContext context)
    {
        consumer.UseMessageRetry(TransientFailures.Retry);
        consumer.UseInMemoryOutbox(context);
    }
}

/// <summary>Delivery policy of <see cref="RemoveStackConsumer"/>.</summary>
public sealed class RemoveStackConsumerDefinition()
    : SharedQueueConsumerDefinition<RemoveStackConsumer>(CommandQueues.Stacks, concurrentMessageLimit: 4, prefetchCount: 8)
{
    protected override void ConfigureDelivery(IConsumerConfigurator<RemoveStackConsumer> consumer, IRegistrationContext context)
    {
        consumer.UseMessageRetry(TransientFailures.Retry);
        consumer.UseInMemoryOutbox(context);
    }
}

/// <summary>The stacks capability in the worker's container.</summary>
public static class StackRegistration
{
    public static IServiceCollection AddStacks(this IServiceCollection services)
    {
        services.AddSingleton<StackPlanner>();
        services.AddSingleton<StackNetworks>();
        services.AddSingleton<StackStarter>();
        services.AddSingleton<StackRollback>();
        services.AddSingleton<StackNetworkSweeper>();
        return services;
    }

    public static void AddStackConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<CreateStackConsumer, CreateStackConsumerDefinition>();
        bus.AddConsumer<RemoveStackConsumer, RemoveStackConsumerDefinition>();
    }
}
