using Messaging.Contracts;
using Messaging.State;

namespace Messaging.Api.Services;

public static class ReadEndpoints
{
    /// <summary>A listing's cursor holds the position in the owner's (or everyone's) list where the page stopped.</summary>
    private static readonly PageCursor Cursor = new("v1", position => long.TryParse(position, out var n) && n >= 0);

    public static async Task<Results<Ok<ServiceView>, ProblemHttpResult>> Get(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, Messaging.State.Edge.EdgeRouteStatusStore edgeRoutes)
    {
        var record = await records.FindVisibleAsync(serviceId, user);
        if (record is null)
            return Problems.ServiceNotFound(serviceId);
        // The edge host's view of the service's hostnames (issue 15): empty when no edge runs or the service is not routed.
        var routes = await edgeRoutes.GetAsync(serviceId);
        return TypedResults.Ok(ServiceView.From(record) with { Routes = [.. routes.Select(RouteView.From)] });
    }

    public static async Task<Results<Ok<ServicePage>, ProblemHttpResult>> List(
        ClaimsPrincipal user, ServiceRecordStore records, int? limit, string? cursor, string? status, string? health)
    {
        if ((QueryChecks.Limit(limit) ?? QueryChecks.OneOf("status", status, ServiceTransitions.All)
             ?? QueryChecks.OneOf("health", health, ServiceHealth.All)) is { } invalid)
            return invalid;
        if (QueryChecks.Cursor(cursor, Cursor, out var after) is { } forged)
            return forged;

        var (page, next) = await records.ListAsync(user.VisibleOwner(), status, after is null ? 0 : long.Parse(after),
            limit ?? QueryChecks.DefaultPageSize, health);
        return TypedResults.Ok(new ServicePage(page.Select(ServiceView.From).ToList(), next is null ? null : Cursor.Encode(next.Value.ToString())));
    }
}

/// <summary>A page of services; pass <see cref="NextCursor"/> back as <c>cursor</c> for the next one.</summary>
public sealed record ServicePage(IReadOnlyList<ServiceView> Items, string? NextCursor);
