using System.ComponentModel.DataAnnotations;

namespace Messaging.Api.LiveEvents;

/// <summary>Limits of <c>GET /api/v1/events</c>. Section <c>LiveEvents</c>.</summary>
public sealed class LiveEventsOptions
{
    public const string Section = "LiveEvents";

    /// <summary>Open streams this API process serves at most, all tokens together; more are answered 429.</summary>
    [Range(1, 100_000)]
    public int MaxStreams { get; set; } = 500;

    /// <summary>Open streams one token may hold at once (a browser tab or two, a script); more are answered 429.</summary>
    [Range(1, 1_000)]
    public int MaxStreamsPerToken { get; set; } = 4;

    /// <summary>
    /// How often an idle stream sends a keep-alive comment, and how often every stream checks its token again: a
    /// revoked or expired token's stream ends within this time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>At most this many entries are replayed after a <c>Last-Event-ID</c>; older ones are skipped.</summary>
    [Range(1, 100_000)]
    public int ReplayMaxCount { get; set; } = 1_000;

    /// <summary>Entries older than this are not replayed, whatever <c>Last-Event-ID</c> asks for.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan ReplayMaxAge { get; set; } = TimeSpan.FromHours(1);
}
