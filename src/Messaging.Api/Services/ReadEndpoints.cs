using System.Security.Claims;
using System.Text;
using Messaging.Api.Auth;
using Messaging.State;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Api.Services;

public static class ReadEndpoints
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static async Task<Results<Ok<ServiceView>, ProblemHttpResult>> Get(Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records)
    {
        var record = await records.FindVisibleAsync(serviceId, user);
        return record is null ? NotFound(serviceId) : TypedResults.Ok(ServiceView.From(record));
    }

    public static async Task<Results<Ok<ServicePage>, ProblemHttpResult>> List(
        ClaimsPrincipal user, ServiceRecordStore records, int? limit, string? cursor, string? status)
    {
        if (limit is < 1 or > MaxPageSize)
            return TypedResults.Problem(statusCode: 400, title: "Invalid limit", detail: $"limit must be 1-{MaxPageSize}.");
        if (status is not null && !ServiceTransitions.All.Contains(status))
            return TypedResults.Problem(statusCode: 400, title: "Invalid status", detail: $"status must be one of {string.Join(", ", ServiceTransitions.All)}.");
        long position = 0;
        if (cursor is not null && !TryDecodeCursor(cursor, out position))
            return TypedResults.Problem(statusCode: 400, title: "Invalid cursor", detail: "Pass back the next_cursor of a previous page.");

        var owner = user.Has(Scopes.Admin) ? null : user.Id();
        var (page, next) = await records.ListAsync(owner, status, position, limit ?? DefaultPageSize);
        return TypedResults.Ok(new ServicePage(page.Select(ServiceView.From).ToList(), next is null ? null : EncodeCursor(next.Value)));
    }

    /// <summary>The record if the caller may see it: its owner, or an admin. Another owner's is "not found".</summary>
    public static async Task<ServiceRecord?> FindVisibleAsync(this ServiceRecordStore records, Guid serviceId, ClaimsPrincipal user)
    {
        var record = await records.GetAsync(serviceId);
        return record is not null && (record.Owner == user.Id() || user.Has(Scopes.Admin)) ? record : null;
    }

    public static ProblemHttpResult NotFound(Guid serviceId) =>
        TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"No service {serviceId}.");

    private static string EncodeCursor(long position) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"v1:{position}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecodeCursor(string cursor, out long position)
    {
        position = 0;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("v1:", StringComparison.Ordinal) && long.TryParse(text[3..], out position) && position >= 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>A page of services; pass <see cref="NextCursor"/> back as <c>cursor</c> for the next one.</summary>
public sealed record ServicePage(IReadOnlyList<ServiceView> Items, string? NextCursor);
