using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Outcomes;
using Messaging.State.Reservations;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// The part of a removal that comes after the record says <c>removing</c>: the container goes (with its volumes),
/// and only once the engine confirms it is gone are port, name and quota released and the record marked removed.
/// Every step can be repeated, so a removal cut short anywhere is finished by running this again: by the command's
/// redelivery (<see cref="RemoveServiceAction"/>) or by the reconciler once the record is stale.
/// </summary>
public sealed class ServiceRemoval(
    IContainerRuntime containers, ServiceRecordStore records, PortReservations reservations, HostnameReservations hostnames, CommandOutcomes outcomes, TimeProvider clock)
{
    /// <summary>
    /// Finishes the removal of <paramref name="record"/> (status <c>removing</c>) and returns the event that answers
    /// <paramref name="commandId"/> (<see cref="Guid.Empty"/>: no command known, nothing kept). Throws
    /// <see cref="ContainerRuntimeException"/>, with nothing released, when the engine refuses or cannot confirm the
    /// container is gone.
    /// </summary>
    public async Task<ServiceRemoved> FinishAsync(ServiceRecord record, Guid commandId, string requestedBy, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(record.ContainerId))
        {
            // A container already gone (the engine finished the call its requester did not live to see) is fine.
            await containers.RemoveAsync(ServiceContainer.Of(record), cancellationToken);
            if (await containers.ExistsAsync(ServiceContainer.Of(record), cancellationToken))
                throw new ContainerRuntimeException(FailureReasons.DockerError, $"Container {record.ContainerId} is still there after removal.");
        }

        await reservations.ReleaseAsync(record.ServiceId, record.Name);
        await hostnames.ReleaseAsync(record.ServiceId, record.Hostnames);
        var removed = new ServiceRemoved
        {
            CommandId = commandId, ServiceId = record.ServiceId, ServiceName = record.Name, HostPort = record.HostPort,
            RequestedBy = requestedBy, At = clock.GetUtcNow(),
        };
        // The answer is kept before the record says removed: a removed record refuses RemoveService, so a worker dying
        // between the two would otherwise leave the command's redelivery only wrong_state. This way the redelivery
        // replays this event, and the record, still removing, is marked removed by the next RemoveService or the reconciler.
        if (commandId != Guid.Empty)
            await outcomes.SaveAsync(record.ServiceId, commandId, removed);
        await records.MarkRemovedAsync(record.ServiceId, clock.GetUtcNow());
        return removed;
    }
}
