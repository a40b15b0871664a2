using MassTransit;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// Decides when a bus has been short of healthy for long enough that only a new process can help: the first look that
/// is not healthy starts the clock, a healthy look stops it, and once <see cref="Limit"/> has passed the answer is yes
/// (and the clock starts again, so a broker that is really away gets one answer per period, not one per look).
/// </summary>
public sealed class StalledBusDetector(TimeSpan limit)
{
    private DateTimeOffset? _unhealthySince;

    public TimeSpan Limit { get; } = limit;

    /// <summary>How long the bus has been short of healthy at the last look (zero when healthy).</summary>
    public TimeSpan StalledFor { get; private set; }

    public bool HasStalledTooLong(BusHealthStatus status, DateTimeOffset now)
    {
        if (status == BusHealthStatus.Healthy || Limit <= TimeSpan.Zero)
        {
            _unhealthySince = null;
            StalledFor = TimeSpan.Zero;
            return false;
        }
        _unhealthySince ??= now;
        StalledFor = now - _unhealthySince.Value;
        if (StalledFor < Limit)
            return false;
        _unhealthySince = now;
        return true;
    }
}
