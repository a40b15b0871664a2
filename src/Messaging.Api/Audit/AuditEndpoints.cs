using System.Globalization;
using System.Security.Claims;
using Messaging.Api.Services;
using Messaging.State;
using Messaging.State.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Api.Audit;

/// <summary><c>GET /api/v1/services/{id}/events</c> (the owner or an admin) and <c>GET /api/v1/audit</c> (admin).</summary>
public static class AuditEndpoints
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
    public const int MaxActorLength = 128;

    // A filtered query reads at most this many entries per call; a sparse match returns a short page with a
    // cursor rather than scanning the whole trail in one request.
    private const int MaxScannedPerPage = 5_000;

    /// <summary>One service's commands and events, oldest first; 404 for a service the caller may not see.</summary>
    public static async Task<Results<Ok<AuditEventPage>, ProblemHttpResult>> ServiceEvents(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, AuditStore trail, int? limit, string? cursor)
    {
        if (CheckPaging(limit, cursor, out var after) is { } problem)
            return problem;
        if (await records.FindVisibleAsync(serviceId, user) is null)
            return ReadEndpoints.NotFound(serviceId);

        var size = limit ?? DefaultPageSize;
        var entries = await trail.ReadServiceAsync(serviceId, after, size + 1);
        var page = entries.Take(size).Select(AuditEventView.From).ToList();
        return TypedResults.Ok(new AuditEventPage(page, entries.Count > size ? AuditCursor.Encode(page[^1].Id) : null));
    }

    /// <summary>The whole trail, oldest first, optionally from a time and for one actor and one message type.</summary>
    public static async Task<Results<Ok<AuditEventPage>, ProblemHttpResult>> Query(
        AuditStore trail, int? limit, string? cursor, string? since, string? actor, string? type)
    {
        if (CheckPaging(limit, cursor, out var after) is { } problem)
            return problem;
        DateTimeOffset sinceTime = default;
        if (since is not null && !DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out sinceTime))
            return BadRequest("Invalid since", "since must be an ISO 8601 time, e.g. 2026-11-28T12:00:00Z.");
        if (actor is not null && (actor.Length is 0 or > MaxActorLength))
            return BadRequest("Invalid actor", $"actor must be 1-{MaxActorLength} characters.");
        if (type is not null && !AuditMessageTypes.All.Contains(type))
            return BadRequest("Invalid type", $"type must be one of {string.Join(", ", AuditMessageTypes.All)}.");

        var size = limit ?? DefaultPageSize;
        var from = since is null ? null : AuditStore.FirstIdAt(sinceTime);
        var page = new List<AuditEventView>(size);
        var scanned = 0;
        string? position = after;
        while (true)
        {
            var batch = await trail.ReadAsync(position, position is null ? from : null, Math.Max(100, size));
            foreach (var entry in batch)
            {
                position = entry.Id;
                scanned++;
                if ((actor is null || entry.Actor == actor) && (type is null || entry.Type == type))
                    page.Add(AuditEventView.From(entry));
                if (page.Count == size)
                    return TypedResults.Ok(new AuditEventPage(page, AuditCursor.Encode(position)));
            }
            if (batch.Count < Math.Max(100, size))
                return TypedResults.Ok(new AuditEventPage(page, null));
            if (scanned >= MaxScannedPerPage)
                return TypedResults.Ok(new AuditEventPage(page, AuditCursor.Encode(position!)));
        }
    }

    private static ProblemHttpResult? CheckPaging(int? limit, string? cursor, out string? after)
    {
        after = null;
        if (limit is < 1 or > MaxPageSize)
            return BadRequest("Invalid limit", $"limit must be 1-{MaxPageSize}.");
        if (cursor is not null)
        {
            if (!AuditCursor.TryDecode(cursor, out var id))
                return BadRequest("Invalid cursor", "Pass back the next_cursor of a previous page.");
            after = id;
        }
        return null;
    }

    private static ProblemHttpResult BadRequest(string title, string detail) => TypedResults.Problem(statusCode: 400, title: title, detail: detail);
}
