using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Supervision;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// Stop, start and restart: each one engine call on the service's container, then the status it leads to, reported
/// by the command's event. They differ only in those three things, listed here side by side. (Removal also frees a
/// port and a name: <see cref="RemoveServiceAction"/>.)
/// </summary>
public sealed class ContainerStateActions(IContainerRuntime containers, ServiceRecordStore records, SupervisionStore supervision, TimeProvider clock)
    : ILifecycleAction<StopService>, ILifecycleAction<StartService>, ILifecycleAction<RestartService>
{
    public Task<IServiceLifecycleEvent> RunAsync(StopService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken) =>
        ChangeAsync<ServiceStopped>(command, requestedBy, record, [ServiceStatus.Running, ServiceStatus.CrashLooping], ServiceStatus.Stopped,
            container => containers.StopAsync(container, cancellationToken));

    /// <summary>Starts the container again, on the service's own port.</summary>
    public Task<IServiceLifecycleEvent> RunAsync(StartService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken) =>
        ChangeAsync<ServiceStarted>(command, requestedBy, record, [ServiceStatus.Stopped, ServiceStatus.CrashLooping], ServiceStatus.Running,
            container => containers.StartAsync(container, record.HostPort ?? 0, cancellationToken));

    /// <summary>Restarts a running or stopped container; it runs afterwards either way.</summary>
    public Task<IServiceLifecycleEvent> RunAsync(RestartService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken) =>
        ChangeAsync<ServiceRestarted>(command, requestedBy, record, [ServiceStatus.Running, ServiceStatus.Stopped, ServiceStatus.CrashLooping], ServiceStatus.Running,
            container => containers.RestartAsync(container, cancellationToken));

    private async Task<IServiceLifecycleEvent> ChangeAsync<TEvent>(ServiceLifecycleCommand command, string requestedBy, ServiceRecord record,
        string[] from, string to, Func<ServiceContainer, Task> engineCall)
        where TEvent : ServiceLifecycleEvent, new()
    {
        await engineCall(ServiceContainer.Of(record));
        await records.TransitionAsync(record.ServiceId, from, to, clock.GetUtcNow());
        // A user's command decides now: a restart the supervisor had scheduled is dropped (a stop is never undone),
        // and a start or restart begins with a fresh restart budget.
        await supervision.ResetAsync(record.ServiceId);
        return new TEvent { CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, RequestedBy = requestedBy, At = clock.GetUtcNow() };
    }
}
