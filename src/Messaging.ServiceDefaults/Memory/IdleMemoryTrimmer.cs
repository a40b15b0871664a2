using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.ServiceDefaults.Memory;

/// <summary>
/// Gives the memory of a burst back once the process is idle again. The GC collects only when something allocates,
/// so after a burst (a fleet of creations, a reconcile of hundreds of records) an idle process keeps the heap it grew
/// to, and its RSS with it, indefinitely. Every <see cref="LookEvery"/> this looks at how much was allocated since the
/// last look: after a look that saw work, the first quiet one runs a single aggressive, compacting collection, which
/// returns the free segments to the operating system. A busy or steadily idle process is never collected by it.
/// </summary>
public sealed class IdleMemoryTrimmer(TimeProvider clock, ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    public static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(10);

    /// <summary>Less than this allocated between two looks is idle (an idle worker allocates a few kB a second).</summary>
    public const long QuietBelowBytes = 2 * 1024 * 1024;

    /// <summary>More than this allocated between two looks counts as a burst worth giving back.</summary>
    public const long BurstAboveBytes = 16 * 1024 * 1024;

    /// <summary>The GC is the process's: of several hosts in one process (the tests' in-process hosts), one trims.</summary>
    private static int s_running;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interlocked.CompareExchange(ref s_running, 1, 0) != 0)
            return;
        try
        {
            await TrimWhenIdleAsync(stoppingToken);
        }
        finally
        {
            Volatile.Write(ref s_running, 0);
        }
    }

    private async Task TrimWhenIdleAsync(CancellationToken stoppingToken)
    {
        var phase = new TrimPhase();
        var allocated = GC.GetTotalAllocatedBytes();
        using var timer = new PeriodicTimer(LookEvery, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = GC.GetTotalAllocatedBytes();
            if (!phase.ShouldTrim(now - allocated))
            {
                allocated = now;
                continue;
            }
            var before = Environment.WorkingSet;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            allocated = GC.GetTotalAllocatedBytes();
            logger.LogDebug("Idle after a burst: working set {Before} -> {After} bytes", before, Environment.WorkingSet);
        }
    }
}

/// <summary>The trimmer's decision, by the bytes allocated between two looks: trim on the first quiet look after a burst.</summary>
public sealed class TrimPhase
{
    private long _sinceTrim;

    public bool ShouldTrim(long allocatedSinceLastLook)
    {
        if (allocatedSinceLastLook >= IdleMemoryTrimmer.QuietBelowBytes)
        {
            _sinceTrim += allocatedSinceLastLook;
            return false;
        }
        if (_sinceTrim < IdleMemoryTrimmer.BurstAboveBytes)
            return false;
        _sinceTrim = 0;
        return true;
    }
}
