using MassTransit;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// Decides when a bus has been short of healthy for long enough that only a new start can help: the first look that is
/// not healthy starts the clock, a healthy look stops it, and once <see cref="RestartAfter"/> has passed the answer is
/// "restart" (and the clock starts again, so a broker that is really away gets one restart per period, not one per look).
/// </summary>
public sealed class StalledBusDetector(TimeSpan restartAfter)
{
    private DateTimeOffset? _unhealthySince;

    public TimeSpan RestartAfter { get; } = restartAfter;

    /// <summary>How long the bus has been short of healthy at the last look (zero when healthy).</summary>
    public TimeSpan StalledFor { get; private set; }

    public bool ShouldRestart(BusHealthStatus status, DateTimeOffset now)
    {
        if (status == BusHealthStatus.Healthy || RestartAfter <= TimeSpan.Zero)
        {
            _unhealthySince = null;
            StalledFor = TimeSpan.Zero;
            return false;
        }
        _unhealthySince ??= now;
        StalledFor = now - _unhealthySince.Value;
        if (StalledFor < RestartAfter)
            return false;
        _unhealthySince = now;
        return true;
    }
}
