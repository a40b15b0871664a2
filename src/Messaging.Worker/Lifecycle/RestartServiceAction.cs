using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>Restarts a running or stopped service's container; it runs afterwards either way.</summary>
public sealed class RestartServiceAction(IContainerRuntime containers, ServiceRecordStore records, TimeProvider clock) : ILifecycleAction<RestartService>
{
    public async Task<IServiceLifecycleEvent> RunAsync(RestartService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken)
    {
        await containers.RestartAsync(ServiceContainer.Of(record), cancellationToken);
        await records.TransitionAsync(record.ServiceId, [ServiceStatus.Running, ServiceStatus.Stopped], ServiceStatus.Running, clock.GetUtcNow());
        return new ServiceRestarted { CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, RequestedBy = requestedBy, At = clock.GetUtcNow() };
    }
}
