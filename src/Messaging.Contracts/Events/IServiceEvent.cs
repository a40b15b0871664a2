using MassTransit;

namespace Messaging.Contracts;

/// <summary>
/// What every event that answers a command about one service carries. Like <see cref="IServiceCommand"/>,
/// a shape for .NET code only: no exchange, no URN on the wire.
/// </summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public interface IServiceEvent
{
    /// <summary>The command this event answers.</summary>
    Guid CommandId { get; }

    /// <summary>The service.</summary>
    Guid ServiceId { get; }
}
