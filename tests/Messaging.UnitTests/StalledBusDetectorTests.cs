using MassTransit;
using Messaging.ServiceDefaults.Bus;

namespace Messaging.UnitTests;

public sealed class StalledBusDetectorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void A_healthy_bus_is_never_stalled()
    {
        var detector = new StalledBusDetector(Minute);
        for (var s = 0; s <= 600; s += 5)
            Assert.False(detector.HasStalledTooLong(BusHealthStatus.Healthy, T0.AddSeconds(s)));
    }

    [Theory]
    [InlineData(BusHealthStatus.Degraded)]
    [InlineData(BusHealthStatus.Unhealthy)]
    public void A_bus_short_of_healthy_for_the_whole_period_is_stalled_once_per_period(BusHealthStatus status)
    {
        var detector = new StalledBusDetector(Minute);
        Assert.False(detector.HasStalledTooLong(status, T0));
        Assert.False(detector.HasStalledTooLong(status, T0.AddSeconds(59)));
        Assert.True(detector.HasStalledTooLong(status, T0.AddSeconds(60)));
        Assert.Equal(Minute, detector.StalledFor);
        // Still stalled: the next answer only a whole period later.
        Assert.False(detector.HasStalledTooLong(status, T0.AddSeconds(65)));
        Assert.False(detector.HasStalledTooLong(status, T0.AddSeconds(119)));
        Assert.True(detector.HasStalledTooLong(status, T0.AddSeconds(120)));
    }

    [Fact]
    public void A_healthy_look_in_between_starts_the_clock_again()
    {
        var detector = new StalledBusDetector(Minute);
        Assert.False(detector.HasStalledTooLong(BusHealthStatus.Degraded, T0));
        Assert.False(detector.HasStalledTooLong(BusHealthStatus.Healthy, T0.AddSeconds(40)));
        Assert.Equal(TimeSpan.Zero, detector.StalledFor);
        Assert.False(detector.HasStalledTooLong(BusHealthStatus.Degraded, T0.AddSeconds(45)));
        Assert.False(detector.HasStalledTooLong(BusHealthStatus.Degraded, T0.AddSeconds(100)));
        Assert.True(detector.HasStalledTooLong(BusHealthStatus.Degraded, T0.AddSeconds(105)));
    }

    [Fact]
    public void Zero_turns_the_exit_off()
    {
        var detector = new StalledBusDetector(TimeSpan.Zero);
        Assert.False(detector.HasStalledTooLong(BusHealthStatus.Unhealthy, T0));
        Assert.False(detector.HasStalledTooLong(BusHealthStatus.Unhealthy, T0.AddHours(1)));
    }
}
