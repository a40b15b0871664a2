using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Auth;

/// <summary>Section <c>RateLimits</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Sustained requests per second per token.</summary>
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests a token may make at once above the sustained rate.</summary>
    public int Burst { get; set; } = 100;

    /// <summary>Wrong tokens one client address may present per minute before it is answered 429.</summary>
    public int FailedAuthenticationsPerMinute { get; set; } = 20;
}

/// <summary>
/// Slows down token guessing: every wrong token costs its client address a permit; with none left, wrong
/// tokens from that address are answered 429 instead of 401 until the window ends. Only failures are
/// throttled: a valid token from the same address (behind a proxy, everyone's) still gets through, so one
/// guesser cannot lock out everyone who shares its address.
/// </summary>
public sealed class FailedAuthenticationThrottle(IOptions<RateLimitOptions> options) : IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.FailedAuthenticationsPerMinute,
            Window = Window,
            QueueLimit = 0,
        }));

    public static string AddressOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>Counts a wrong token against the caller's address; false once the address has none left.</summary>
    public bool RecordFailure(HttpContext context)
    {
        using var lease = _failures.AttemptAcquire(AddressOf(context));
        return lease.IsAcquired;
    }

    public void Dispose() => _failures.Dispose();
}
