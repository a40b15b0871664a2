namespace Messaging.Contracts;

/// <summary>
/// Asks the worker to run a stack: every service of a compose file (the subset of docs/STACKS.md), on a private
/// network of the stack, reserved and created whole or not at all. Published by the API or directly by another
/// system; the worker parses and judges the file itself (allowlist, caps, quotas) and trusts none of it.
/// </summary>
public sealed record CreateStack : IStackCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    public Guid CommandId { get; init; }

    /// <summary>Identity of the stack, chosen by the publisher. Member service ids derive from it and the member's name.</summary>
    public Guid StackId { get; init; }

    /// <summary>Stack name (service-name rule); members are the services <c>{StackName}-{member}</c>.</summary>
    public string StackName { get; init; } = "";

    /// <summary>The compose file, as text (at most 64 KiB).</summary>
    public string ComposeFile { get; init; } = "";

    /// <summary>
    /// When a member fails to start: false (default) removes the whole stack; true keeps the members that started
    /// and removes only the rest (<see cref="StackCreationFailed.KeptMembers"/> says which).
    /// </summary>
    public bool KeepStartedOnFailure { get; init; }

    /// <summary>Who asked: a token id or the name of the publishing system. Becomes the owner of every member.</summary>
    public string RequestedBy { get; init; } = "";

    /// <summary>When the request was made.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}

/// <summary>Asks the worker to remove a stack: every member's container and reservation, then the stack's network.</summary>
public sealed record RemoveStack : IStackCommand
{
    /// <summary>The command (idempotency key) this message is or answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The stack.</summary>
    public Guid StackId { get; init; }

    /// <summary>Who asked; only the stack's owner (or the API for an admin) may remove it.</summary>
    public string RequestedBy { get; init; } = "";

    /// <summary>When the request was made.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}
