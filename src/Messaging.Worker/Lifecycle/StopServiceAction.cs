using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>Stops a running service's container.</summary>
public sealed class StopServiceAction(IContainerRuntime containers, ServiceRecordStore records, TimeProvider clock) : ILifecycleAction<StopService>
{
    public async Task<IServiceLifecycleEvent> RunAsync(StopService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken)
    {
        await containers.StopAsync(ServiceContainer.Of(record), cancellationToken);
        await records.TransitionAsync(record.ServiceId, [ServiceStatus.Running], ServiceStatus.Stopped, clock.GetUtcNow());
        return new ServiceStopped { CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, RequestedBy = requestedBy, At = clock.GetUtcNow() };
    }
}
