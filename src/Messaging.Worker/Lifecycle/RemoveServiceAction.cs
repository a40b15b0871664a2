using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Containers;
using Messaging.State.Reservations;

namespace Messaging.Worker.Lifecycle;

/// <summary>Removes a service: the container first; its port and name only once the engine confirms the container is gone.</summary>
public sealed class RemoveServiceAction(IContainerRuntime containers, ServiceRecordStore records, PortReservations reservations, TimeProvider clock)
    : ILifecycleAction<RemoveService>
{
    public async Task<IServiceLifecycleEvent> RunAsync(RemoveService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken)
    {
        await records.TransitionAsync(record.ServiceId, [record.Status], ServiceStatus.Removing, clock.GetUtcNow());
        try
        {
            if (!string.IsNullOrEmpty(record.ContainerId))
            {
                await containers.RemoveAsync(ServiceContainer.Of(record), cancellationToken);
                if (await containers.ExistsAsync(ServiceContainer.Of(record), cancellationToken))
                    throw new ContainerRuntimeException(FailureReasons.DockerError, $"Container {record.ContainerId} is still there after removal.");
            }
        }
        catch (ContainerRuntimeException)
        {
            await records.TransitionAsync(record.ServiceId, [ServiceStatus.Removing], record.Status, clock.GetUtcNow());
            throw;
        }

        await reservations.ReleaseAsync(record.ServiceId, record.Name);
        await records.MarkRemovedAsync(record.ServiceId, clock.GetUtcNow());
        return new ServiceRemoved
        {
            CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, HostPort = record.HostPort,
            RequestedBy = requestedBy, At = clock.GetUtcNow(),
        };
    }
}
