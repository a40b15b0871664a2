namespace Messaging.Worker.Supervision;

/// <summary>
/// Exponential backoff with "equal jitter": attempt n waits between half and all of min(cap, base x 2^(n-1)). The
/// random half spreads services that crashed together (an engine restart) instead of restarting them in lockstep; the
/// fixed half keeps every delay at least as long as the one before, so the delays grow until the cap.
/// </summary>
public static class RestartBackoff
{
    /// <param name="attempt">1 for the first restart in the window.</param>
    /// <param name="base">The first attempt's ceiling.</param>
    /// <param name="cap">No delay is longer.</param>
    /// <param name="random">A number in [0, 1): where in the jitter range this delay falls.</param>
    public static TimeSpan Delay(int attempt, TimeSpan @base, TimeSpan cap, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        // 2^30 x any sensible base is far past every cap: stop doubling before the arithmetic overflows.
        var exponential = @base.Ticks * Math.Pow(2, Math.Min(attempt - 1, 30));
        var ceiling = Math.Min(cap.Ticks, exponential);
        return TimeSpan.FromTicks((long)(ceiling / 2 + ceiling / 2 * Math.Clamp(random, 0, 1)));
    }
}
