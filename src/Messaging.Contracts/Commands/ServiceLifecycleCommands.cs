namespace Messaging.Contracts;

/// <summary>Stops a running service's container. Answered by <see cref="ServiceStopped"/> or <see cref="ServiceCommandRejected"/>.</summary>
public sealed record StopService : IServiceCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>Who asked (a token id or a system name).</summary>
    public string RequestedBy { get; init; } = "";
    /// <summary>When it was asked.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}

/// <summary>Starts a stopped service. Answered by <see cref="ServiceStarted"/> or <see cref="ServiceCommandRejected"/>.</summary>
public sealed record StartService : IServiceCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>Who asked (a token id or a system name).</summary>
    public string RequestedBy { get; init; } = "";
    /// <summary>When it was asked.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}

/// <summary>Restarts a running or stopped service. Answered by <see cref="ServiceRestarted"/> or <see cref="ServiceCommandRejected"/>.</summary>
public sealed record RestartService : IServiceCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>Who asked (a token id or a system name).</summary>
    public string RequestedBy { get; init; } = "";
    /// <summary>When it was asked.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}

/// <summary>
/// Removes a service: its container, then its port and name. Answered by <see cref="ServiceRemoved"/>
/// or <see cref="ServiceCommandRejected"/>.
/// </summary>
public sealed record RemoveService : IServiceCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>Who asked (a token id or a system name).</summary>
    public string RequestedBy { get; init; } = "";
    /// <summary>When it was asked.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}
