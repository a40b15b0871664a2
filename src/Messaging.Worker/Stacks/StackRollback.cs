using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Reservations;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Stacks;

/// <summary>
/// Undoes the members of a stack creation that must not stay: their containers go first, and only a member whose
/// container is surely gone gives back its name, port and quota share (as for a plain service, invariant 4). Each
/// member's record ends <c>failed</c>, with the reason of the stack's failure.
/// </summary>
public sealed class StackRollback(
    IContainerRuntime containers, ServiceRecordStore records, PortReservations reservations, TimeProvider clock, ILogger<StackRollback> logger)
{
    /// <summary>Rolls back <paramref name="members"/>; true when every container is gone (the network may go too).</summary>
    public async Task<bool> RollBackAsync(IEnumerable<PlannedMember> members, IReadOnlyDictionary<string, string> made, StackRefusal failure)
    {
        var clean = true;
        foreach (var member in members)
        {
            made.TryGetValue(member.Name, out var containerId);
            var removed = await containers.TryRemoveAsync(containerId, member.ServiceId, logger, "a rolled-back stack member");
            clean &= removed;
            if (removed)
                await reservations.ReleaseAsync(member.ServiceId, member.ServiceName);
            var current = await records.GetAsync(member.ServiceId);
            if (current is not null)
            {
                await records.SaveAsync(current with
                {
                    Status = ServiceStatus.Failed,
                    FailureCode = failure.Reason,
                    FailureMessage = failure.Member == member.Name ? failure.Message : $"Rolled back with its stack: {failure.Message}",
                    ContainerId = removed ? null : containerId,
                    HostPort = removed ? null : current.HostPort,
                    Host = removed ? null : current.Host,
                    UpdatedAt = clock.GetUtcNow(),
                });
            }
        }
        return clean;
    }
}
