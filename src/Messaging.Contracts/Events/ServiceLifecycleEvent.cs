using MassTransit;

namespace Messaging.Contracts;

/// <summary>
/// The fields of <see cref="ServiceStopped"/>, <see cref="ServiceStarted"/> and <see cref="ServiceRestarted"/>, in
/// their order on the wire. <see cref="ServiceRemoved"/> spells its own out: its <c>hostPort</c> stands between
/// <c>serviceName</c> and <c>requestedBy</c>. Never a message of its own, like <see cref="ServiceLifecycleCommand"/>.
/// </summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public abstract record ServiceLifecycleEvent : IServiceLifecycleEvent
{
    /// <summary>The command this event answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The service name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>Who asked.</summary>
    public string RequestedBy { get; init; } = "";
    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }
}
