using Messaging.ServiceDefaults.Memory;

namespace Messaging.UnitTests.Memory;

/// <summary>When the idle trimmer collects: once, on the first quiet look after a burst, and never otherwise.</summary>
public class TrimPhaseTests
{
    private const long Quiet = 10 * 1024;
    private const long Busy = 8 * 1024 * 1024;

    [Fact]
    public void A_process_that_stays_idle_is_never_collected()
    {
        var phase = new TrimPhase();
        Assert.All(Enumerable.Range(0, 100), _ => Assert.False(phase.ShouldTrim(Quiet)));
    }

    [Fact]
    public void The_first_quiet_look_after_a_burst_trims_once()
    {
        var phase = new TrimPhase();
        Assert.False(phase.ShouldTrim(Busy));
        Assert.False(phase.ShouldTrim(Busy));
        Assert.False(phase.ShouldTrim(Busy)); // still busy: 24 MB so far, but no quiet look yet

        Assert.True(phase.ShouldTrim(Quiet));
        Assert.False(phase.ShouldTrim(Quiet));
        Assert.False(phase.ShouldTrim(Quiet));
    }

    [Fact]
    public void Steady_small_work_below_a_burst_is_not_trimmed()
    {
        var phase = new TrimPhase();
        // 4 MB of work then quiet: under the 16 MB that makes a burst worth a full compacting collection.
        Assert.False(phase.ShouldTrim(4 * 1024 * 1024));
        Assert.False(phase.ShouldTrim(Quiet));
    }

    [Fact]
    public void Each_burst_gets_its_own_trim()
    {
        var phase = new TrimPhase();
        phase.ShouldTrim(IdleMemoryTrimmer.BurstAboveBytes);
        Assert.True(phase.ShouldTrim(Quiet));
        phase.ShouldTrim(IdleMemoryTrimmer.BurstAboveBytes);
        Assert.True(phase.ShouldTrim(Quiet));
    }
}
