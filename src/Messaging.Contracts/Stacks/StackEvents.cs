namespace Messaging.Contracts;

/// <summary>One member of a stack as the events report it.</summary>
public sealed record StackMemberState
{
    /// <summary>The member's name in the compose file (its name on the stack's network).</summary>
    public string Member { get; init; } = "";

    /// <summary>The member's service (an ordinary service record: <c>GET /api/v1/services/{id}</c>).</summary>
    public Guid ServiceId { get; init; }

    /// <summary>The member's service name, <c>{stack}-{member}</c>.</summary>
    public string ServiceName { get; init; } = "";

    /// <summary>The host port of the stack's public entry; null for members reachable only inside the stack.</summary>
    public int? HostPort { get; init; }
}

/// <summary>Every member of a <see cref="CreateStack"/> runs.</summary>
public sealed record StackCreated : IStackEvent
{
    /// <summary>The command (idempotency key) this message is or answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The stack.</summary>
    public Guid StackId { get; init; }
    /// <summary>The stack's name.</summary>
    public string StackName { get; init; } = "";
    /// <summary>The owner of the stack and of every member.</summary>
    public string Owner { get; init; } = "";
    /// <summary>Every member, in the file's order.</summary>
    public IReadOnlyList<StackMemberState> Members { get; init; } = [];
    /// <summary>When the last member started.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A <see cref="CreateStack"/> did not end with every member running. Without
/// <see cref="CreateStack.KeepStartedOnFailure"/> nothing of it remains (no container, network, port or reservation);
/// with it, <see cref="KeptMembers"/> still run.
/// </summary>
public sealed record StackCreationFailed : IStackEvent
{
    /// <summary>The command (idempotency key) this message is or answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The stack.</summary>
    public Guid StackId { get; init; }
    /// <summary>The stack's name.</summary>
    public string StackName { get; init; } = "";

    /// <summary>One of <see cref="FailureReasons"/>.</summary>
    public string Reason { get; init; } = "";

    /// <summary>A message for humans.</summary>
    public string Message { get; init; } = "";

    /// <summary>The member that failed or was refused (its compose name); null when the stack as a whole was (quota, bad file).</summary>
    public string? FailedMember { get; init; }

    /// <summary>The members left running (only with <see cref="CreateStack.KeepStartedOnFailure"/>); empty after a rollback.</summary>
    public IReadOnlyList<StackMemberState> KeptMembers { get; init; } = [];

    /// <summary>When the failure was decided.</summary>
    public DateTimeOffset FailedAt { get; init; }
}

/// <summary>A stack's members and network are gone.</summary>
public sealed record StackRemoved : IStackEvent
{
    /// <summary>The command (idempotency key) this message is or answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The stack.</summary>
    public Guid StackId { get; init; }
    /// <summary>The stack's name.</summary>
    public string StackName { get; init; } = "";
    /// <summary>When the network went.</summary>
    public DateTimeOffset RemovedAt { get; init; }
}

/// <summary>The statuses of a stack record.</summary>
public static class StackStatus
{
    /// <summary>Accepted by the API, not yet taken by a worker.</summary>
    public const string Pending = "pending";
    /// <summary>A worker reserves, creates and starts the members.</summary>
    public const string Creating = "creating";
    /// <summary>Every member started (each member's own status says how it runs now).</summary>
    public const string Running = "running";
    /// <summary>A member failed and the started ones were kept (<see cref="CreateStack.KeepStartedOnFailure"/>).</summary>
    public const string Partial = "partial";
    /// <summary>Refused or rolled back: nothing of it remains.</summary>
    public const string Failed = "failed";
    /// <summary>Its members and network are being removed.</summary>
    public const string Removing = "removing";
    /// <summary>Nothing of it remains.</summary>
    public const string Removed = "removed";
}
