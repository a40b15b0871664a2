using System.Text;
using System.Text.Json;
using Messaging.Api.Audit;
using Messaging.State.Audit;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Messaging.Api.LiveEvents;

/// <summary>
/// <c>GET /api/v1/events</c>: the audit trail as Server-Sent Events, live, filtered to the caller's own
/// services (an admin sees all). Each event's <c>id:</c> is its audit entry id, so a client that reconnects
/// with <c>Last-Event-ID</c> (browsers' EventSource does it by itself) resumes right after it, within
/// <see cref="LiveEventsOptions.ReplayMaxCount"/> entries and <see cref="LiveEventsOptions.ReplayMaxAge"/>;
/// without one the stream starts with what happens from now on.
/// </summary>
/// <remarks>
/// A stream outlives the request that authenticated it, so its token is checked again at every heartbeat and the
/// stream ends once the token is revoked or expired. Streams are capped per token and per process
/// (<see cref="LiveStreamSlots"/>).
/// </remarks>
public static class LiveEventsEndpoint
{
    /// <summary>The event that says a replay was cut short: older entries than the ones that follow were skipped.</summary>
    public const string ReplayTruncatedEvent = "replay_truncated";

    private const int BatchSize = 100;
    private static readonly TimeSpan PollFallback = TimeSpan.FromSeconds(1);

    public static async Task Handle(HttpContext http, ClaimsPrincipal user, AuditStore trail, AuditAppendedSignal appended,
        LiveStreamSlots slots, TokenAuthenticator tokens, IOptions<LiveEventsOptions> options, IOptions<JsonOptions> json, TimeProvider clock)
    {
        string? lastEventId = http.Request.Headers["Last-Event-ID"];
        if (string.IsNullOrEmpty(lastEventId))
            lastEventId = http.Request.Query["last_event_id"];
        if (!string.IsNullOrEmpty(lastEventId) && !AuditStore.IsEntryId(lastEventId))
        {
            await TypedResults.Problem(statusCode: 400, title: "Invalid Last-Event-ID",
                detail: "Last-Event-ID must be the id of an event this stream sent (ms-seq).").ExecuteAsync(http);
            return;
        }

        var (slot, refusal) = slots.TryTake(user.Id());
        if (slot is null)
        {
            await ServerSentEvents.RefuseAsync(http, refusal!);
            return;
        }
        using var _ = slot;

        var limits = options.Value;
        var owner = user.Has(Scopes.Admin) ? null : user.Id();
        var (position, truncated) = await StartAsync(trail, owner, lastEventId, limits, clock.GetUtcNow());
        var cancel = http.RequestAborted;

        // The position is fixed before the client sees the headers: whatever is appended after that, it gets.
        var greeting = new StringBuilder("retry: 2000\n: connected\n\n");
        if (truncated)
            greeting.Append("event: ").Append(ReplayTruncatedEvent).Append("\ndata: ")
                .Append(JsonSerializer.Serialize(new { resumes_after = position, limits.ReplayMaxCount, limits.ReplayMaxAge }, json.Value.SerializerOptions))
                .Append("\n\n");
        await ServerSentEvents.BeginAsync(http, greeting.ToString(), cancel);

        var presented = ServerSentEvents.PresentedToken(http);
        var lastWrite = clock.GetUtcNow();
        var lastCheck = lastWrite;
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                if (clock.GetUtcNow() - lastCheck >= limits.Heartbeat)
                {
                    if (!await ServerSentEvents.StillValidAsync(tokens, presented, user))
                    {
                        await ServerSentEvents.WriteAsync(http, ": token revoked or expired\n\n", cancel);
                        return;
                    }
                    lastCheck = clock.GetUtcNow();
                }

                var batch = owner is null
                    ? await trail.ReadAsync(position, null, BatchSize)
                    : await trail.ReadOwnerAsync(owner, position, BatchSize);
                var text = new StringBuilder();
                foreach (var entry in batch)
                {
                    position = entry.Id;
                    if (owner is null || entry.Owner == owner)
                        text.Append("id: ").Append(entry.Id).Append("\nevent: ").Append(entry.Type).Append("\ndata: ")
                            .Append(JsonSerializer.Serialize(AuditEventView.From(entry), json.Value.SerializerOptions)).Append("\n\n");
                }
                if (clock.GetUtcNow() - lastWrite >= limits.Heartbeat && text.Length == 0)
                    text.Append(": keep-alive\n\n");
                if (text.Length > 0)
                {
                    await ServerSentEvents.WriteAsync(http, text.ToString(), cancel);
                    lastWrite = clock.GetUtcNow();
                }
                if (batch.Count < BatchSize)
                    await appended.WaitAsync(limits.Heartbeat < PollFallback ? limits.Heartbeat : PollFallback, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away: the normal end of a live stream.
        }
    }

    /// <summary>
    /// Where the stream starts: after <paramref name="lastEventId"/>, but no further back than the replay limits
    /// allow (then <c>Truncated</c>); without one, after the newest entry.
    /// </summary>
    private static async Task<(string Position, bool Truncated)> StartAsync(AuditStore trail, string? owner, string? lastEventId,
        LiveEventsOptions limits, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(lastEventId))
            return (await trail.LastIdAsync(), false);
        var truncated = false;
        var oldestAllowed = AuditStore.LastIdBefore(now - limits.ReplayMaxAge);
        if (AuditStore.CompareIds(lastEventId, oldestAllowed) < 0)
            (lastEventId, truncated) = (oldestAllowed, true);
        if (await trail.SkipToNewestAsync(owner, lastEventId, limits.ReplayMaxCount) is { } nearer)
            (lastEventId, truncated) = (nearer, true);
        return (lastEventId, truncated);
    }
}
