namespace Messaging.Worker.Containers;

/// <summary>Undoing a container a delivery made, shared by a failed creation and a rolled-back stack.</summary>
public static class ContainerRemoval
{
    /// <summary>
    /// Removes the container, or logs why it could not; false when the engine could not confirm it (the reconciler
    /// reports or removes what is left once the engine answers again). No container to remove counts as removed.
    /// </summary>
    /// <param name="after">What failed, for the log: "a failed creation", "a rolled-back stack member".</param>
    public static async Task<bool> TryRemoveAsync(this IContainerRuntime containers, string? containerId, Guid serviceId, ILogger logger, string after)
    {
        if (containerId is null)
            return true;
        try
        {
            await containers.RemoveAsync(new ServiceContainer(containerId, serviceId), CancellationToken.None);
            return true;
        }
        catch (ContainerRuntimeException e)
        {
            logger.LogError(e, "Could not remove container {ContainerId} after {After}", containerId, after);
            return false;
        }
    }
}
