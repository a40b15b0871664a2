using MassTransit;

namespace Messaging.Contracts;

/// <summary>
/// What every command about one service carries, so that one handler can serve them all (the worker's
/// lifecycle consumer, the audit trail). A shape for .NET code only, never a message of its own: it has no
/// exchange (<see cref="ExcludeFromTopologyAttribute"/>) and the hosts keep its URN out of the envelope's
/// <c>messageType</c>, so the wire carries exactly the concrete types of docs/CONTRACTS.md.
/// </summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public interface IServiceCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    Guid CommandId { get; }

    /// <summary>The service.</summary>
    Guid ServiceId { get; }

    /// <summary>Who asked: a token id or the name of the publishing system.</summary>
    string RequestedBy { get; }

    /// <summary>When it was asked.</summary>
    DateTimeOffset RequestedAt { get; }
}
