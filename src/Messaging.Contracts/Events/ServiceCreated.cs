namespace Messaging.Contracts;

/// <summary>A service's container was created and started.</summary>
public sealed record ServiceCreated : IServiceEvent
{
    /// <summary>The command this event answers.</summary>
    public Guid CommandId { get; init; }

    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }

    /// <summary>The service (and container) name.</summary>
    public string ServiceName { get; init; } = "";

    /// <summary>The image the container runs.</summary>
    public string Image { get; init; } = "";

    /// <summary>The owner (the command's <c>RequestedBy</c>).</summary>
    public string Owner { get; init; } = "";

    /// <summary>Docker's container id.</summary>
    public string ContainerId { get; init; } = "";

    /// <summary>Host address the port is published on.</summary>
    public string Host { get; init; } = "";

    /// <summary>Host port allocated to the service.</summary>
    public int HostPort { get; init; }

    /// <summary>Container port the host port forwards to.</summary>
    public int InternalPort { get; init; }

    /// <summary>Memory limit in bytes (swap is equal: no extra swap).</summary>
    public long MemoryBytes { get; init; }

    /// <summary>CPU limit in cores.</summary>
    public double CpuLimit { get; init; }

    /// <summary>When the container was started.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// True when a warm pool member (started ahead of time) was claimed for the service instead of a container being
    /// created and started for it (issue 20). Absent (false) from workers before it.
    /// </summary>
    public bool Warm { get; init; }
}
