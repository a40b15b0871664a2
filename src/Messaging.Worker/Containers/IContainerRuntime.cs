namespace Messaging.Worker.Containers;

/// <summary>A container the engine knows, as far as the worker cares.</summary>
public sealed record ExistingContainer(string Id, IReadOnlyDictionary<string, string> Labels, bool Running, int? HostPort = null);

/// <summary>One of our containers as the reconciler sees it: enough to rebuild its record and reservation.</summary>
public sealed record ManagedContainer(
    string Id, string Name, string Image, IReadOnlyDictionary<string, string> Labels, bool Running, DateTimeOffset Created,
    long MemoryBytes, long NanoCpus, int? InternalPort, string? HostAddress, int? HostPort);

/// <summary>
/// The engine operations the worker uses, in the project's own types (no engine library leaks through). The seam
/// exists so consumer tests can run without an engine; failures surface as <see cref="ContainerRuntimeException"/> with a reason code.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>Creates the services' network when missing (each call looks again; see <c>ServicesNetwork</c>).</summary>
    Task EnsureNetworkAsync(CancellationToken cancellationToken);

    /// <summary>Creates a container; throws <see cref="ContainerNameConflictException"/> when the name is taken.</summary>
    Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken);

    /// <summary>Starts a container; throws <see cref="HostPortUnavailableException"/> when its port cannot be bound.</summary>
    Task StartAsync(string containerId, int hostPort, CancellationToken cancellationToken);

    /// <summary>The container with that name, or null.</summary>
    Task<ExistingContainer?> FindByNameAsync(string name, CancellationToken cancellationToken);

    /// <summary>Removes a container, running or not; a container already gone is fine.</summary>
    Task RemoveAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Whether the engine still has the container (confirms a removal).</summary>
    Task<bool> ExistsAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Stops a container (SIGTERM, then SIGKILL after the grace period); a stopped one is fine.</summary>
    Task StopAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Restarts a container, running or stopped.</summary>
    Task RestartAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Every container carrying our instance's labels, running or not.</summary>
    Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken);

    /// <summary>The last <paramref name="tail"/> lines of the container's stdout and stderr.</summary>
    Task<IReadOnlyList<string>> GetLogsAsync(string containerId, int tail, CancellationToken cancellationToken);
}
