using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>Starts a stopped service's container again, on its own port.</summary>
public sealed class StartServiceAction(IContainerRuntime containers, ServiceRecordStore records, TimeProvider clock) : ILifecycleAction<StartService>
{
    public async Task<IServiceLifecycleEvent> RunAsync(StartService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken)
    {
        await containers.StartAsync(ServiceContainer.Of(record), record.HostPort ?? 0, cancellationToken);
        await records.TransitionAsync(record.ServiceId, [ServiceStatus.Stopped], ServiceStatus.Running, clock.GetUtcNow());
        return new ServiceStarted { CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, RequestedBy = requestedBy, At = clock.GetUtcNow() };
    }
}
