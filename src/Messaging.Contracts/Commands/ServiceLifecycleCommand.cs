using MassTransit;

namespace Messaging.Contracts;

/// <summary>
/// The fields of the four lifecycle commands (<see cref="StopService"/>, <see cref="StartService"/>,
/// <see cref="RestartService"/>, <see cref="RemoveService"/>), which differ only in what they ask for. Like the
/// shape interfaces, it is never a message of its own: no exchange (<see cref="ExcludeFromTopologyAttribute"/>)
/// and no URN in the envelope's <c>messageType</c>, so the wire carries the concrete types alone.
/// </summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public abstract record ServiceLifecycleCommand : IServiceCommand
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
