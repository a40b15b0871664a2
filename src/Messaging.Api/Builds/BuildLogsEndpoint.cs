using System.Text;
using System.Text.Json;
using Messaging.Api.LiveEvents;
using Messaging.State.Builds;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Builds;

/// <summary>
/// <c>GET /api/v1/builds/{id}/logs?follow=true</c>: a build's log lines as Server-Sent Events (<c>event: line</c>, <c>id:</c>
/// the line's number, <c>data:</c> the line, secrets already masked by the worker), live from <see cref="BuildLogRelay"/>.
/// Once the record says the build ended, the lines the relay missed are taken from the record's tail and an
/// <c>event: end</c> (<c>{status, image, failure}</c>) closes the stream. Without <c>follow</c> the stream closes after
/// the lines known now. <c>Last-Event-ID</c> resumes after that line. Same caps and token check as <c>/events</c>.
/// </summary>
public static class BuildLogsEndpoint
{
    public const string LineEvent = "line";
    public const string EndEvent = "end";

    /// <summary>How often an open stream looks at the record (has the build ended?).</summary>
    private static readonly TimeSpan RecordCheck = TimeSpan.FromMilliseconds(500);

    public static async Task Handle(Guid buildId, bool? follow, HttpContext http, ClaimsPrincipal user, BuildStore builds, BuildLogRelay relay,
        LiveStreamSlots slots, TokenAuthenticator tokens, IOptions<LiveEventsOptions> options, IOptions<JsonOptions> json, TimeProvider clock)
    {
        if (await builds.GetAsync(buildId) is not { } record || !user.MaySee(record.Owner))
        {
            await Problems.BuildNotFound(buildId).ExecuteAsync(http);
            return;
        }
        string? lastEventId = http.Request.Headers["Last-Event-ID"];
        long next = 1;
        if (!string.IsNullOrEmpty(lastEventId))
        {
            if (!long.TryParse(lastEventId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var last))
            {
                await TypedResults.Problem(statusCode: 400, title: "Invalid Last-Event-ID", detail: "Last-Event-ID must be a line number this stream sent.").ExecuteAsync(http);
                return;
            }
            next = last + 1;
        }
        var (slot, refusal) = slots.TryTake(user.Id());
        if (slot is null)
        {
            await ServerSentEvents.RefuseAsync(http, refusal!);
            return;
        }
        using var _ = slot;

        var cancel = http.RequestAborted;
        var heartbeat = options.Value.Heartbeat;
        var presented = ServerSentEvents.PresentedToken(http);
        await ServerSentEvents.BeginAsync(http, "retry: 2000\n: connected\n\n", cancel);
        var lastWrite = clock.GetUtcNow();
        var (lastCheck, lastTokenCheck) = (lastWrite, lastWrite);
        try
        {
            while (true)
            {
                var text = new StringBuilder();
                foreach (var (number, line) in relay.Read(buildId, next))
                {
                    Line(text, number, line);
                    next = number + 1;
                }
                if (record.IsFinished)
                {
                    // The end: what the relay missed of the tail, then the outcome.
                    var lines = Math.Max(record.LogLines, record.LogTail.Count);
                    for (var i = 0; i < record.LogTail.Count; i++)
                    {
                        var number = lines - record.LogTail.Count + 1 + i;
                        if (number >= next)
                            Line(text, number, record.LogTail[i]);
                    }
                    var failure = record.FailureCode is null ? null : new BuildFailureView(record.FailureCode, record.FailureMessage ?? "");
                    text.Append("event: ").Append(EndEvent).Append("\ndata: ")
                        .Append(JsonSerializer.Serialize(new BuildEnd(record.Status, record.Image, failure), json.Value.SerializerOptions)).Append("\n\n");
                    await ServerSentEvents.WriteAsync(http, text.ToString(), cancel);
                    return;
                }
                var now = clock.GetUtcNow();
                if (text.Length == 0 && now - lastWrite >= heartbeat)
                    text.Append(": keep-alive\n\n");
                if (text.Length > 0)
                {
                    await ServerSentEvents.WriteAsync(http, text.ToString(), cancel);
                    lastWrite = now;
                }
                if (follow != true)
                    return;
                if (now - lastTokenCheck >= heartbeat)
                {
                    if (!await ServerSentEvents.StillValidAsync(tokens, presented, user))
                    {
                        await ServerSentEvents.WriteAsync(http, ": token revoked or expired\n\n", cancel);
                        return;
                    }
                    lastTokenCheck = now;
                }
                await relay.WaitAsync(RecordCheck, cancel);
                if (clock.GetUtcNow() - lastCheck >= RecordCheck)
                {
                    record = await builds.GetAsync(buildId) ?? record;
                    lastCheck = clock.GetUtcNow();
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    // Lines hold no line break (the worker splits on them), so one data field carries each verbatim.
    private static void Line(StringBuilder text, long number, string line) =>
        text.Append("id: ").Append(number).Append("\nevent: ").Append(LineEvent).Append("\ndata: ").Append(line).Append("\n\n");
}

/// <summary>The <c>end</c> event of a build's log stream.</summary>
public sealed record BuildEnd(string Status, string? Image, BuildFailureView? Failure);
