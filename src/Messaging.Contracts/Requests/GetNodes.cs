namespace Messaging.Contracts;

/// <summary>
/// Asks the worker (request/response) for the nodes services run on, as the scheduler sees them now (issue 18): on
/// Swarm every node of the swarm, with one engine that engine as the only node. Answered by <see cref="NodeList"/> or
/// <see cref="NodesUnavailable"/>. Only the API's broker user is answered (the API allows admin tokens only).
/// </summary>
public sealed record GetNodes;

/// <summary>The nodes, read from the engine at <see cref="ReadAt"/>.</summary>
public sealed record NodeList
{
    /// <summary>The worker's <c>Scheduler:Mode</c>: <c>containers</c> (one engine, one node) or <c>swarm</c>.</summary>
    public string Scheduler { get; init; } = "";
    /// <summary>When the engine was read.</summary>
    public DateTimeOffset ReadAt { get; init; }
    /// <summary>Every node, managers first, then by hostname.</summary>
    public IReadOnlyList<NodeSummary> Nodes { get; init; } = [];
}

/// <summary>One node: what it is, what it has, and what of it our services hold.</summary>
public sealed record NodeSummary
{
    /// <summary>The swarm's node id (with one engine: the engine's id).</summary>
    public string Id { get; init; } = "";
    /// <summary>The node's hostname.</summary>
    public string Hostname { get; init; } = "";
    /// <summary><c>manager</c> or <c>worker</c> on Swarm; <c>engine</c> with one engine.</summary>
    public string Role { get; init; } = "";
    /// <summary>What the operator allows on it: <c>active</c>, <c>pause</c> or <c>drain</c> (always <c>active</c> with one engine).</summary>
    public string Availability { get; init; } = "";
    /// <summary>What Swarm sees of it: <c>ready</c>, <c>down</c>, <c>disconnected</c> or <c>unknown</c> (one engine that answered: <c>ready</c>).</summary>
    public string State { get; init; } = "";
    /// <summary>The address the node advertises, which records' <c>host</c> names for services on it; null when unknown.</summary>
    public string? Address { get; init; }
    /// <summary>CPUs the node has, in billionths of a CPU (Docker's NanoCPUs).</summary>
    public long NanoCpus { get; init; }
    /// <summary>Memory the node has.</summary>
    public long MemoryBytes { get; init; }
    /// <summary>CPUs our services' tasks placed on the node reserve (on one engine: the limits of our running containers).</summary>
    public long ReservedNanoCpus { get; init; }
    /// <summary>Memory our services' tasks placed on the node reserve (on one engine: the limits of our running containers).</summary>
    public long ReservedMemoryBytes { get; init; }
    /// <summary>Our services whose task (container) runs on the node now.</summary>
    public IReadOnlyList<NodeService> Services { get; init; } = [];
}

/// <summary>A service of ours running on a node.</summary>
public sealed record NodeService
{
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>Its name.</summary>
    public string ServiceName { get; init; } = "";
}

/// <summary>
/// The nodes could not be read; <see cref="Reason"/> is <c>invalid_command</c> (the asker is not the API),
/// <c>docker_unavailable</c> or <c>docker_error</c>.
/// </summary>
public sealed record NodesUnavailable
{
    /// <summary>A code from <see cref="RejectionReasons"/>.</summary>
    public string Reason { get; init; } = "";
    /// <summary>A message for humans.</summary>
    public string Message { get; init; } = "";
}
