using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// Removes a service: the record says <c>removing</c> first, then <see cref="ServiceRemoval"/> removes the container
/// and frees port and name once the engine confirms it is gone. A record found already <c>removing</c> is a removal
/// cut short (crash, OOM, shutdown, Redis error between the status write and the engine call): it is resumed.
/// </summary>
public sealed class RemoveServiceAction(ServiceRemoval removal, ServiceRecordStore records, TimeProvider clock)
    : ILifecycleAction<RemoveService>
{
    public async Task<IServiceLifecycleEvent> RunAsync(RemoveService command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken)
    {
        var resumed = record.Status == ServiceStatus.Removing;
        if (!resumed)
            await records.BeginRemovalAsync(record.ServiceId, record.Status, command.CommandId, requestedBy, clock.GetUtcNow());
        try
        {
            return await removal.FinishAsync(record, command.CommandId, requestedBy, cancellationToken);
        }
        catch (ContainerRuntimeException)
        {
            // A removal the engine refused goes back to where it was. A resumed one has no earlier status to go back
            // to: it stays removing, for the next RemoveService or the reconciler.
            if (!resumed)
                await records.TransitionAsync(record.ServiceId, [ServiceStatus.Removing], record.Status, clock.GetUtcNow());
            throw;
        }
    }
}
