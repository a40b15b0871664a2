namespace Messaging.Contracts;

// What the supervisor reports about a service's container on its own, without a command. They implement
// IServiceEvent so that the audit trail, webhooks and live streams take them like every other event; their
// CommandId is empty (Guid.Empty): no command asked for them.

/// <summary>A running service's container exited (or was killed), without anyone asking.</summary>
public sealed record ServiceExited : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>The process's exit code (137 for a kill).</summary>
    public long ExitCode { get; init; }
    /// <summary>Whether the kernel's OOM killer ended it (the memory limit was reached).</summary>
    public bool OomKilled { get; init; }
    /// <summary>What the supervisor does next: <c>restart</c>, <c>stop</c> (policy says no restart) or <c>crash_looping</c>.</summary>
    public string Action { get; init; } = "";
    /// <summary>When the container exited.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>A service's health check failed its retries: the engine marked the container unhealthy.</summary>
public sealed record ServiceUnhealthy : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>The last probe's output, shortened.</summary>
    public string Output { get; init; } = "";
    /// <summary>What the supervisor does: <c>restart</c> or <c>report</c> (the service's <c>on_unhealthy</c>).</summary>
    public string Action { get; init; } = "";
    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>
/// A service's health check passed for the first time since its container started (created, started or restarted):
/// from <c>starting</c> to <c>healthy</c>. The edge routes a service with a check from then on.
/// </summary>
public sealed record ServiceHealthy : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>
/// A service that was unhealthy (or restarted by the supervisor) is healthy again; on Swarm also: a degraded service
/// (<see cref="ServiceDegraded"/>) has a running task again on the node it ran on (published by the reconciler).
/// </summary>
public sealed record ServiceRecovered : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>
/// The supervisor started a service's container again after it exited or turned unhealthy. A type of its own rather
/// than <see cref="ServiceRestarted"/>, which answers a user's <see cref="RestartService"/> (its <c>commandId</c>
/// names that command, its <c>requestedBy</c> who sent it, and a subscriber reads it as "my restart was done").
/// </summary>
public sealed record ServiceRestartedBySupervisor : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>Which restart this is in the current window (1 for the first).</summary>
    public int Attempt { get; init; }
    /// <summary>How long the supervisor waited before it (the backoff).</summary>
    public TimeSpan Delay { get; init; }
    /// <summary>Why: <c>exited</c> or <c>unhealthy</c>.</summary>
    public string Reason { get; init; } = "";
    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>The service exceeded its restarts within the window: the supervisor stopped restarting it (status <c>crash_looping</c>).</summary>
public sealed record ServiceCrashLooping : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>Restarts made in the window before giving up.</summary>
    public int Restarts { get; init; }
    /// <summary>The last exit code, if the container exited.</summary>
    public long? LastExitCode { get; init; }
    /// <summary>Whether the last exit was an OOM kill.</summary>
    public bool OomKilled { get; init; }
    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }
}
