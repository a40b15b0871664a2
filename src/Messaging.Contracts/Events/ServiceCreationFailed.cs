namespace Messaging.Contracts;

/// <summary>A <see cref="CreateService"/> command ended without a container. Nothing of it remains.</summary>
public sealed record ServiceCreationFailed : IServiceEvent
{
    /// <summary>The command this event answers.</summary>
    public Guid CommandId { get; init; }

    /// <summary>The service the command named.</summary>
    public Guid ServiceId { get; init; }

    /// <summary>The name the command asked for.</summary>
    public string ServiceName { get; init; } = "";

    /// <summary>One of <see cref="FailureReasons"/>.</summary>
    public string Reason { get; init; } = "";

    /// <summary>A message for humans.</summary>
    public string Message { get; init; } = "";

    /// <summary>When the failure was decided.</summary>
    public DateTimeOffset FailedAt { get; init; }
}
