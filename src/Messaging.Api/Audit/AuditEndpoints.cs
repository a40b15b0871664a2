using Messaging.Api.Stacks;
using Messaging.State;
using Messaging.State.Audit;
using Messaging.State.Stacks;

namespace Messaging.Api.Audit;

/// <summary>
/// <c>GET /api/v1/services/{id}/events</c> and <c>GET /api/v1/stacks/{id}/events</c> (the owner or an admin) and
/// <c>GET /api/v1/audit</c> (admin).
/// </summary>
public static class AuditEndpoints
{
    public const int MaxActorLength = 128;

    // A filtered query reads at most this many entries per call; a sparse match returns a short page with a
    // cursor rather than scanning the whole trail in one request.
    private const int MaxScannedPerPage = 5_000;

    /// <summary>A cursor holds the id of the entry a page stopped at.</summary>
    private static readonly PageCursor Cursor = new("a1", AuditStore.IsEntryId);

    /// <summary>One service's commands and events, oldest first; 404 for a service the caller may not see.</summary>
    public static async Task<Results<Ok<AuditEventPage>, ProblemHttpResult>> ServiceEvents(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, AuditStore trail, int? limit, string? cursor)
    {
        if (QueryChecks.Page(limit, cursor, Cursor, out var after) is { } invalid)
            return invalid;
        if (await records.FindVisibleAsync(serviceId, user) is null)
            return Problems.ServiceNotFound(serviceId);

        return await PageAsync(limit, size => trail.ReadServiceAsync(serviceId, after, size));
    }

    /// <summary>One stack's own commands and events (its members' are under each service), oldest first; 404 for a stack the caller may not see.</summary>
    public static async Task<Results<Ok<AuditEventPage>, ProblemHttpResult>> StackEvents(
        Guid stackId, ClaimsPrincipal user, StackStore stacks, AuditStore trail, int? limit, string? cursor)
    {
        if (QueryChecks.Page(limit, cursor, Cursor, out var after) is { } invalid)
            return invalid;
        if (await stacks.FindVisibleAsync(stackId, user) is null)
            return Problems.StackNotFound(stackId);

        return await PageAsync(limit, size => trail.ReadStackAsync(stackId, after, size));
    }

    /// <summary><c>GET /builds/{id}/events</c>: one build's command and outcome, oldest first (scope <c>images:build</c>).</summary>
    public static async Task<Results<Ok<AuditEventPage>, ProblemHttpResult>> BuildEvents(
        Guid buildId, ClaimsPrincipal user, Messaging.State.Builds.BuildStore builds, AuditStore trail, int? limit, string? cursor)
    {
        if (QueryChecks.Page(limit, cursor, Cursor, out var after) is { } invalid)
            return invalid;
        if (await builds.GetAsync(buildId) is not { } build || !user.MaySee(build.Owner))
            return Problems.BuildNotFound(buildId);

        return await PageAsync(limit, size => trail.ReadBuildAsync(buildId, after, size));
    }

    /// <summary>A page of one stream: one entry more than asked for tells whether a next page exists.</summary>
    private static async Task<Ok<AuditEventPage>> PageAsync(int? limit, Func<int, Task<IReadOnlyList<AuditEntry>>> read)
    {
        var size = limit ?? QueryChecks.DefaultPageSize;
        var entries = await read(size + 1);
        var page = entries.Take(size).Select(AuditEventView.From).ToList();
        return TypedResults.Ok(new AuditEventPage(page, entries.Count > size ? Cursor.Encode(page[^1].Id) : null));
    }

    /// <summary>The whole trail, oldest first, optionally from a time and for one actor and one message type.</summary>
    public static async Task<Results<Ok<AuditEventPage>, ProblemHttpResult>> Query(
        AuditStore trail, int? limit, string? cursor, string? since, string? actor, string? type)
    {
        if (QueryChecks.Page(limit, cursor, Cursor, out var after) is { } invalidPage)
            return invalidPage;
        if (QueryChecks.Time("since", since, out var sinceTime) is { } invalidSince)
            return invalidSince;
        if ((QueryChecks.Text("actor", actor, MaxActorLength) ?? QueryChecks.OneOf("type", type, AuditMessageTypes.All)) is { } invalid)
            return invalid;

        var size = limit ?? QueryChecks.DefaultPageSize;
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
                    return TypedResults.Ok(new AuditEventPage(page, Cursor.Encode(position)));
            }
            if (batch.Count < Math.Max(100, size))
                return TypedResults.Ok(new AuditEventPage(page, null));
            if (scanned >= MaxScannedPerPage)
                return TypedResults.Ok(new AuditEventPage(page, Cursor.Encode(position!)));
        }
    }
}
