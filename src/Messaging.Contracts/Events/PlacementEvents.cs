namespace Messaging.Contracts;

// What the reconciler reports about where a service's task runs on Swarm (issue 18), without a command. Like the
// supervisor's events they implement IServiceEvent, so the audit trail, webhooks, live streams and the edge take them
// like every other event; their CommandId is empty (Guid.Empty): no command asked for them.

/// <summary>
/// Swarm runs a running service's task on another node than before (it rescheduled it after the node was lost or drained,
/// or restarted it elsewhere): the record's <c>host</c>, which the edge dials, is now <see cref="ToHost"/>.
/// </summary>
public sealed record ServiceMoved : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>The address of the node it ran on before, as its record had it (null: not known).</summary>
    public string? FromHost { get; init; }
    /// <summary>The address of the node its task runs on now: the new endpoint is <see cref="ToHost"/>:<see cref="HostPort"/>.</summary>
    public string ToHost { get; init; } = "";
    /// <summary>The hostname of that node.</summary>
    public string ToNode { get; init; } = "";
    /// <summary>The published port, the same on every node (the service keeps its reserved port).</summary>
    public int? HostPort { get; init; }
    /// <summary>When the reconciler saw it.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>
/// A running service has no running task: Swarm means it to run, but its task failed, waits for a node or ran on a node
/// that is lost. Its port answers nowhere until a task runs again, which a <see cref="ServiceMoved"/> (on another node) or a
/// <see cref="ServiceRecovered"/> (on the same node) announces. Announced once per spell.
/// </summary>
public sealed record ServiceDegraded : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>One of <see cref="DegradedReasons"/>.</summary>
    public string Reason { get; init; } = "";
    /// <summary>What Swarm says of the service's latest task (state, error, node), for humans.</summary>
    public string Detail { get; init; } = "";
    /// <summary>The address of the node it ran on last, as its record has it.</summary>
    public string? LastHost { get; init; }
    /// <summary>When the reconciler saw it.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>Why a service has no running task (<see cref="ServiceDegraded.Reason"/>). Subscribers must tolerate a code they do not know.</summary>
public static class DegradedReasons
{
    /// <summary>Its task ran on a node Swarm sees as down or disconnected, and none runs elsewhere yet.</summary>
    public const string NodeLost = "node_lost";
    /// <summary>Its latest task failed or was rejected (Swarm restarts it by its restart policy).</summary>
    public const string TaskFailed = "task_failed";
    /// <summary>Its task waits for a node: none meets its constraints, has its reservations free, or has its port free.</summary>
    public const string NoSuitableNode = "no_suitable_node";
    /// <summary>Its task is on its way (assigned, preparing, starting) but does not run yet.</summary>
    public const string Starting = "starting";
    /// <summary>Swarm has no task for it at all.</summary>
    public const string NoTask = "no_task";
}
