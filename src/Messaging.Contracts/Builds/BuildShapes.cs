using MassTransit;

namespace Messaging.Contracts;

/// <summary>
/// What every command about one build carries, so that the audit trail and webhooks handle it as they do service and
/// stack commands. A shape for .NET code only: no exchange, no URN on the wire.
/// </summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public interface IBuildCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    Guid CommandId { get; }

    /// <summary>The build.</summary>
    Guid BuildId { get; }

    /// <summary>Who asked: a token id or the name of the publishing system.</summary>
    string RequestedBy { get; }

    /// <summary>When it was asked.</summary>
    DateTimeOffset RequestedAt { get; }
}

/// <summary>What every event that ends a build carries. A shape for .NET code only.</summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public interface IBuildEvent
{
    /// <summary>The command this event answers.</summary>
    Guid CommandId { get; }

    /// <summary>The build.</summary>
    Guid BuildId { get; }

    /// <summary>The build's verified owner.</summary>
    string Owner { get; }
}
