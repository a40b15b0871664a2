using MassTransit;

namespace Messaging.Contracts;

/// <summary>
/// A lifecycle command carried out: <see cref="ServiceStopped"/>, <see cref="ServiceStarted"/>,
/// <see cref="ServiceRestarted"/>, <see cref="ServiceRemoved"/>. A shape for .NET code only, like <see cref="IServiceEvent"/>.
/// </summary>
[ExcludeFromTopology]
[ExcludeFromImplementedTypes]
public interface IServiceLifecycleEvent : IServiceEvent
{
    /// <summary>The service name.</summary>
    string ServiceName { get; }

    /// <summary>Who asked.</summary>
    string RequestedBy { get; }

    /// <summary>When it happened.</summary>
    DateTimeOffset At { get; }
}
