using MassTransit;

namespace Messaging.Contracts;

/// <summary>
/// What every command about one stack carries, so that the audit trail and webhooks handle them as they do service
/// commands. Like <see cref="IServiceCommand"/>, a shape for .NET code only: no exchange, no URN on the wire.
/// </summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public interface IStackCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    Guid CommandId { get; }

    /// <summary>The stack.</summary>
    Guid StackId { get; }

    /// <summary>Who asked: a token id or the name of the publishing system.</summary>
    string RequestedBy { get; }

    /// <summary>When it was asked.</summary>
    DateTimeOffset RequestedAt { get; }
}

/// <summary>What every event that answers a command about one stack carries. A shape for .NET code only.</summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public interface IStackEvent
{
    /// <summary>The command this event answers.</summary>
    Guid CommandId { get; }

    /// <summary>The stack.</summary>
    Guid StackId { get; }
}
