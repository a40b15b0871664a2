using Messaging.Contracts;
using Messaging.State;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// What one lifecycle command does to a service, once <see cref="ServiceLifecycleConsumer{TCommand}"/> has checked
/// that it applies: the engine call, the status write, and the event that reports them.
/// </summary>
public interface ILifecycleAction<in TCommand> where TCommand : IServiceCommand
{
    /// <summary>
    /// Carries <paramref name="command"/> out on <paramref name="record"/> for <paramref name="requestedBy"/>, who asked as
    /// far as the worker can tell (the event names them). Throws <see cref="Containers.ContainerRuntimeException"/> when
    /// the engine refuses or is away, with the service left as it was.
    /// </summary>
    Task<IServiceLifecycleEvent> RunAsync(TCommand command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken);
}
