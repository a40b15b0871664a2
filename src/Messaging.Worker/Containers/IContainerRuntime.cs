using Messaging.State;

namespace Messaging.Worker.Containers;

/// <summary>A container the engine knows, as far as the worker cares.</summary>
public sealed record ExistingContainer(string Id, IReadOnlyDictionary<string, string> Labels, bool Running, int? HostPort = null);

/// <summary>
/// The container a service's record names. The runtime acts on it only after the engine confirms, by its
/// labels, that it is that service's container here; otherwise it throws <see cref="ForeignContainerException"/>.
/// </summary>
public sealed record ServiceContainer(string Id, Guid ServiceId)
{
    /// <summary>The container a record names, to be checked against that record's service.</summary>
    public static ServiceContainer Of(ServiceRecord record) => new(record.ContainerId ?? "", record.ServiceId);
}

/// <summary>What the engine's host has in all (<c>/info</c>: MemTotal, NCPU).</summary>
public sealed record EngineResources(long MemoryBytes, int Cpus);

/// <summary>
/// A node services may run on, as the scheduler sees it now, with what our services hold of it (<c>GET /api/v1/nodes</c>).
/// Role, availability and state are Swarm's words; one engine is one node (<c>engine</c>, <c>active</c>, <c>ready</c>).
/// </summary>
public sealed record SchedulerNode(
    string Id, string Hostname, string Role, string Availability, string State, string? Address, long NanoCpus, long MemoryBytes,
    long ReservedNanoCpus, long ReservedMemoryBytes, IReadOnlyList<RunningService> Services);

/// <summary>A service of ours whose task (container) runs on a node.</summary>
public sealed record RunningService(Guid ServiceId, string ServiceName);

/// <summary>One of our containers as the reconciler sees it: enough to rebuild its record and reservation.</summary>
public sealed record ManagedContainer(
    string Id, string Name, string Image, IReadOnlyDictionary<string, string> Labels, bool Running, DateTimeOffset Created,
    long MemoryBytes, long NanoCpus, int? InternalPort, string? HostAddress, int? HostPort)
{
    /// <summary>The name users gave the service; the container's own name carries the instance as a prefix.</summary>
    public string ServiceName => Labels.GetValueOrDefault(ContainerLabels.ServiceName, Name);

    /// <summary>Swarm: the hostname of the node its task runs on (with <see cref="HostAddress"/>); null elsewhere.</summary>
    public string? NodeName { get; init; }

    /// <summary>
    /// Swarm: why a service meant to run (<see cref="Running"/>) has no running task, with a code of
    /// <c>Messaging.Contracts.DegradedReasons</c>; null when its task runs, and always on one engine.
    /// </summary>
    public (string Reason, string Detail)? NotRunningBecause { get; init; }
}

/// <summary>
/// The scheduler port: the engine operations the worker uses, in the project's own types (no engine library leaks
/// through). Two adapters, chosen by <c>Scheduler:Mode</c>: <see cref="DockerContainerRuntime"/> (one engine, plain
/// containers) and <c>Scheduling.Swarm.SwarmServiceRuntime</c> (one replicated Swarm service per service; the
/// "container id" of a record is then the Swarm service id). Consumer tests use a fake one. Failures surface as
/// <see cref="ContainerRuntimeException"/> with a reason code.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>Creates the services' network when missing (each call looks again; see <c>ServicesNetwork</c>).</summary>
    Task EnsureNetworkAsync(CancellationToken cancellationToken);

    /// <summary>Creates a container; throws <see cref="ContainerNameConflictException"/> when the name is taken.</summary>
    Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a container (on Swarm: scales its service to one task and waits for it to run); throws
    /// <see cref="HostPortUnavailableException"/> when its port cannot be bound. Returns the address its published port
    /// answers on when the scheduler chose it (Swarm: the node the task runs on), null for <c>Docker:PublishAddress</c>.
    /// </summary>
    Task<string?> StartAsync(ServiceContainer container, int hostPort, CancellationToken cancellationToken);

    /// <summary>The container with that name, or null.</summary>
    Task<ExistingContainer?> FindByNameAsync(string name, CancellationToken cancellationToken);

    /// <summary>Removes a container, running or not, with its anonymous volumes; a container already gone is fine.</summary>
    Task RemoveAsync(ServiceContainer container, CancellationToken cancellationToken);

    /// <summary>Whether the engine still has the service's container (confirms a removal); a foreign one does not count.</summary>
    Task<bool> ExistsAsync(ServiceContainer container, CancellationToken cancellationToken);

    /// <summary>Stops a container (SIGTERM, then SIGKILL after the grace period); a stopped one is fine.</summary>
    Task StopAsync(ServiceContainer container, CancellationToken cancellationToken);

    /// <summary>Restarts a container, running or stopped.</summary>
    Task RestartAsync(ServiceContainer container, CancellationToken cancellationToken);

    /// <summary>Every container carrying our instance's labels, running or not.</summary>
    Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken);

    /// <summary>The host's total memory and CPUs as the engine reports them (the default host budget).</summary>
    Task<EngineResources> GetResourcesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The nodes services may run on (Swarm: every node of the swarm; one engine: that engine), each with the resources our
    /// services' tasks placed there reserve and the services running there.
    /// </summary>
    Task<IReadOnlyList<SchedulerNode>> ListNodesAsync(CancellationToken cancellationToken);

    /// <summary>The last <paramref name="tail"/> lines of the container's stdout and stderr.</summary>
    Task<IReadOnlyList<string>> GetLogsAsync(ServiceContainer container, int tail, CancellationToken cancellationToken);

    /// <summary>The container's resource figures (one read of the engine's stats, about a second); null when it is not running.</summary>
    Task<ContainerUsage?> GetUsageAsync(ServiceContainer container, CancellationToken cancellationToken);
}
