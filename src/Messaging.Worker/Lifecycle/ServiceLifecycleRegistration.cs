using MassTransit;
using Messaging.Contracts;

namespace Messaging.Worker.Lifecycle;

public static class ServiceLifecycleRegistration
{
    /// <summary>The four lifecycle commands: each an action and the one generic consumer, all on the queue <c>service-lifecycle</c>.</summary>
    public static void AddServiceLifecycleConsumers(this IBusRegistrationConfigurator bus)
    {
        // Finishing a removal: shared by RemoveServiceAction and the reconciler (stale removals).
        bus.AddSingleton<ServiceRemoval>();
        bus.AddLifecycleCommand<StopService, ContainerStateActions>();
        bus.AddLifecycleCommand<StartService, ContainerStateActions>();
        bus.AddLifecycleCommand<RestartService, ContainerStateActions>();
        bus.AddLifecycleCommand<RemoveService, RemoveServiceAction>();
    }

    private static void AddLifecycleCommand<TCommand, TAction>(this IBusRegistrationConfigurator bus)
        where TCommand : class, IServiceCommand
        where TAction : class, ILifecycleAction<TCommand>
    {
        bus.AddSingleton<ILifecycleAction<TCommand>, TAction>();
        bus.AddConsumer<ServiceLifecycleConsumer<TCommand>, ServiceLifecycleConsumerDefinition<TCommand>>();
    }
}
