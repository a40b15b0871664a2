using Docker.DotNet.Models;

namespace Messaging.Worker.Containers;

/// <summary>A running container's resource figures, read once from the engine (see <see cref="IContainerRuntime.GetUsageAsync"/>).</summary>
public sealed record ContainerUsage(
    DateTimeOffset ReadAt, double CpuPercent, int OnlineCpus, long MemoryUsedBytes, long MemoryLimitBytes,
    long NetworkRxBytes, long NetworkTxBytes, long BlockReadBytes, long BlockWriteBytes, long Pids)
{
    /// <summary>
    /// The figures of one answer of the engine's stats endpoint, computed as <c>docker stats</c> does. CPU needs two
    /// samples: the engine sends its previous one (about a second older) as <c>precpu_stats</c> when asked without
    /// <c>one-shot</c>, so one answer holds both. Memory leaves out the inactive page cache the kernel can drop
    /// (<c>inactive_file</c> on cgroup v2, <c>total_inactive_file</c> on v1).
    /// </summary>
    internal static ContainerUsage From(ContainerStatsResponse stats)
    {
        var cpu = stats.CPUStats;
        var previous = stats.PreCPUStats;
        var onlineCpus = cpu?.OnlineCPUs is > 0 ? (int)cpu.OnlineCPUs : cpu?.CPUUsage?.PercpuUsage?.Count ?? 0;
        var cpuDelta = (double)(cpu?.CPUUsage?.TotalUsage ?? 0) - (previous?.CPUUsage?.TotalUsage ?? 0);
        var systemDelta = (double)(cpu?.SystemUsage ?? 0) - (previous?.SystemUsage ?? 0);
        var cpuPercent = cpuDelta > 0 && systemDelta > 0 ? cpuDelta / systemDelta * onlineCpus * 100 : 0;

        var memory = stats.MemoryStats;
        var usage = (long)(memory?.Usage ?? 0);
        var inactive = memory?.Stats is { } counters
            ? counters.TryGetValue("inactive_file", out var v2) ? (long)v2 : counters.TryGetValue("total_inactive_file", out var v1) ? (long)v1 : 0
            : 0;
        var used = inactive < usage ? usage - inactive : usage;

        var networks = stats.Networks?.Values ?? [];
        var blockIo = stats.BlkioStats?.IoServiceBytesRecursive ?? [];
        long Block(string op) => blockIo.Where(e => string.Equals(e.Op, op, StringComparison.OrdinalIgnoreCase)).Sum(e => (long)e.Value);

        return new ContainerUsage(
            ReadAt: stats.Read == default ? DateTimeOffset.UtcNow : new DateTimeOffset(stats.Read.ToUniversalTime()),
            CpuPercent: Math.Round(cpuPercent, 2),
            OnlineCpus: onlineCpus,
            MemoryUsedBytes: used,
            MemoryLimitBytes: (long)(memory?.Limit ?? 0),
            NetworkRxBytes: networks.Sum(n => (long)n.RxBytes),
            NetworkTxBytes: networks.Sum(n => (long)n.TxBytes),
            BlockReadBytes: Block("read"),
            BlockWriteBytes: Block("write"),
            Pids: (long)(stats.PidsStats?.Current ?? 0));
    }
}
