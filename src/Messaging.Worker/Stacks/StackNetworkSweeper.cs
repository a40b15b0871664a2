using Messaging.Contracts;
using Messaging.State.Stacks;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Stacks;

/// <summary>
/// The reconciler's share of stacks: a stack network with no container on it whose stack is gone, failed or
/// removed (a crash between the last member's removal and the network's) is removed, so no network leaks. A
/// network of a stack still being made, or with containers on it, is left alone.
/// </summary>
public sealed class StackNetworkSweeper(StackNetworks networks, StackStore stacks, ILogger<StackNetworkSweeper> logger)
{
    /// <summary>Removes leaked stack networks; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var network in await networks.ListAsync(cancellationToken))
        {
            if (network.Containers > 0)
                continue;
            var stack = await stacks.GetAsync(network.StackId);
            if (stack is not null && stack.Status is not (StackStatus.Failed or StackStatus.Removed))
                continue;
            try
            {
                await networks.RemoveAsync(network.StackId, cancellationToken);
                removed++;
                logger.LogWarning("Removed leaked stack network {Network} (stack {Status})", network.Name, stack?.Status ?? "unknown");
            }
            catch (ContainerRuntimeException e)
            {
                logger.LogWarning("Could not remove stack network {Network}: {Message}", network.Name, e.Message);
            }
        }
        return removed;
    }
}
