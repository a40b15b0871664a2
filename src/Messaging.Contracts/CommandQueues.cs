namespace Messaging.Contracts;

/// <summary>
/// Durable quorum queues the worker consumes commands from. Each is bound (through an exchange of the
/// same name) to the exchange of its message type, e.g. <c>Messaging.Contracts:CreateService</c>.
/// Publishers declare them too, so a command published before any worker ever started is kept, not dropped.
/// </summary>
public static class CommandQueues
{
    /// <summary>Queue of <see cref="CreateService"/>.</summary>
    public const string CreateService = "create-service";

    /// <summary>Queue of <see cref="StopService"/>, <see cref="StartService"/>, <see cref="RestartService"/> and <see cref="RemoveService"/>.</summary>
    public const string ServiceLifecycle = "service-lifecycle";

    /// <summary>Queue of <see cref="GetServiceLogs"/> requests.</summary>
    public const string ServiceLogs = "service-logs";

    /// <summary>Queue of <see cref="GetServiceStats"/> requests.</summary>
    public const string ServiceStats = "service-stats";

    /// <summary>Queue of <see cref="GetNodes"/> requests (issue 18).</summary>
    public const string Nodes = "nodes";

    /// <summary>Queue of <see cref="CreateStack"/> and <see cref="RemoveStack"/>.</summary>
    public const string Stacks = "stacks";

    /// <summary>Queue of <see cref="BuildImage"/> (issue 17).</summary>
    public const string Builds = "builds";
}
