namespace Messaging.Contracts;

/// <summary>A service's container was stopped.</summary>
public sealed record ServiceStopped : ServiceLifecycleEvent;

/// <summary>A stopped service's container was started again.</summary>
public sealed record ServiceStarted : ServiceLifecycleEvent;

/// <summary>A service's container was restarted.</summary>
public sealed record ServiceRestarted : ServiceLifecycleEvent;

/// <summary>A service's container is gone; its port and name are free again.</summary>
public sealed record ServiceRemoved : IServiceLifecycleEvent
{
    /// <summary>The command this event answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name (free for reuse now).</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>The host port given back.</summary>
    public int? HostPort { get; init; }
    /// <summary>Who asked.</summary>
    public string RequestedBy { get; init; } = "";
    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>A lifecycle command was not carried out; nothing changed.</summary>
public sealed record ServiceCommandRejected : IServiceEvent
{
    /// <summary>The command this event answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service the command named.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The command's type: <c>StopService</c>, <c>StartService</c>, <c>RestartService</c> or <c>RemoveService</c>.</summary>
    public string Command { get; init; } = "";
    /// <summary>One of <see cref="RejectionReasons"/>.</summary>
    public string Reason { get; init; } = "";
    /// <summary>A message for humans.</summary>
    public string Message { get; init; } = "";
    /// <summary>The service's status when the command was refused, if it exists.</summary>
    public string? Status { get; init; }
    /// <summary>When it was refused.</summary>
    public DateTimeOffset At { get; init; }
}
