namespace Messaging.Contracts;

/// <summary>
/// Asks the worker (request/response) for a service's current resource figures, read once from the engine.
/// Answered by <see cref="ServiceStats"/> or <see cref="ServiceStatsUnavailable"/>.
/// </summary>
public sealed record GetServiceStats
{
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
}

/// <summary>
/// A service's resource figures as the engine read them at <see cref="ReadAt"/>. Counters (network, block I/O) are
/// totals since the container started; <see cref="CpuPercent"/> is over the engine's last sampling interval (about
/// a second), 100 per fully used core as <c>docker stats</c> shows it.
/// </summary>
public sealed record ServiceStats
{
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>When the engine read the figures.</summary>
    public DateTimeOffset ReadAt { get; init; }
    /// <summary>CPU used over the last sampling interval, 100 per core (a service limited to 0.5 CPU stays under 50).</summary>
    public double CpuPercent { get; init; }
    /// <summary>CPUs the engine's host has online (the scale of <see cref="CpuPercent"/>).</summary>
    public int OnlineCpus { get; init; }
    /// <summary>Memory in use, without the page cache the kernel can drop (as <c>docker stats</c> counts it).</summary>
    public long MemoryUsedBytes { get; init; }
    /// <summary>The container's memory limit.</summary>
    public long MemoryLimitBytes { get; init; }
    /// <summary>Bytes received over all of the container's networks since it started.</summary>
    public long NetworkRxBytes { get; init; }
    /// <summary>Bytes sent over all of the container's networks since it started.</summary>
    public long NetworkTxBytes { get; init; }
    /// <summary>Bytes read from block devices since the container started.</summary>
    public long BlockReadBytes { get; init; }
    /// <summary>Bytes written to block devices since the container started.</summary>
    public long BlockWriteBytes { get; init; }
    /// <summary>Processes (and threads) in the container now.</summary>
    public long Pids { get; init; }
}

/// <summary>
/// The figures could not be read; <see cref="Reason"/> is <c>not_found</c> (no such service, not the asker's, or no
/// container), <c>wrong_state</c> (its container is not running), <c>docker_unavailable</c> or <c>docker_error</c>.
/// </summary>
public sealed record ServiceStatsUnavailable
{
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>A code from <see cref="RejectionReasons"/>.</summary>
    public string Reason { get; init; } = "";
    /// <summary>A message for humans.</summary>
    public string Message { get; init; } = "";
}
