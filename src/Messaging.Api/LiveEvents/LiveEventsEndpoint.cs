using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Messaging.Api.Audit;
using Messaging.Api.Auth;
using Messaging.State.Audit;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Messaging.Api.LiveEvents;

/// <summary>
/// <c>GET /api/v1/events</c>: the audit trail as Server-Sent Events, live, filtered to the caller's own
/// services (an admin sees all). Each event's <c>id:</c> is its audit entry id, so a client that reconnects
/// with <c>Last-Event-ID</c> (browsers' EventSource does it by itself) resumes right after it; without one the
/// stream starts with what happens from now on.
/// </summary>
public static class LiveEventsEndpoint
{
    private const int BatchSize = 100;
    private static readonly TimeSpan PollFallback = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task Handle(HttpContext http, ClaimsPrincipal user, AuditStore trail, AuditAppendedSignal appended,
        IOptions<JsonOptions> json, TimeProvider clock)
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

        var owner = user.Has(Scopes.Admin) ? null : user.Id();
        var position = string.IsNullOrEmpty(lastEventId) ? await trail.LastIdAsync() : lastEventId;
        var cancel = http.RequestAborted;

        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        // The position is fixed before the client sees the headers: whatever is appended after that, it gets.
        await WriteAsync(http, "retry: 2000\n: connected\n\n", cancel);

        var lastWrite = clock.GetUtcNow();
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                var batch = await trail.ReadAsync(position, null, BatchSize);
                var text = new StringBuilder();
                foreach (var entry in batch)
                {
                    position = entry.Id;
                    if (owner is null || entry.Owner == owner)
                        text.Append("id: ").Append(entry.Id).Append("\nevent: ").Append(entry.Type).Append("\ndata: ")
                            .Append(JsonSerializer.Serialize(AuditEventView.From(entry), json.Value.SerializerOptions)).Append("\n\n");
                }
                if (clock.GetUtcNow() - lastWrite > Heartbeat && text.Length == 0)
                    text.Append(": keep-alive\n\n");
                if (text.Length > 0)
                {
                    await WriteAsync(http, text.ToString(), cancel);
                    lastWrite = clock.GetUtcNow();
                }
                if (batch.Count < BatchSize)
                    await appended.WaitAsync(PollFallback, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away: the normal end of a live stream.
        }
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken cancel)
    {
        await http.Response.WriteAsync(text, cancel);
        await http.Response.Body.FlushAsync(cancel);
    }
}
