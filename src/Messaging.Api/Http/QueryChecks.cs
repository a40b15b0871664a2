using System.Globalization;

namespace Messaging.Api.Http;

/// <summary>
/// The checks on query parameters, one way for every endpoint: each returns null when the value is acceptable
/// (absent included: the endpoint's default applies), else the 400 to answer, titled after the parameter.
/// </summary>
public static class QueryChecks
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary><c>limit</c>, the size of a page.</summary>
    public static ProblemHttpResult? Limit(int? limit, int max = MaxPageSize) => Range("limit", limit, max);

    /// <summary><c>limit</c> and <c>cursor</c> of a paged list, in that order.</summary>
    public static ProblemHttpResult? Page(int? limit, string? cursor, PageCursor format, out string? position)
    {
        position = null;
        return Limit(limit) ?? Cursor(cursor, format, out position);
    }

    /// <summary>A count from 1 to <paramref name="max"/>.</summary>
    public static ProblemHttpResult? Range(string name, int? value, int max) =>
        value < 1 || value > max ? Problems.InvalidParameter(name, $"{name} must be 1-{max}.") : null;

    /// <summary><c>cursor</c>: the <c>next_cursor</c> of a previous page; <paramref name="position"/> is where it stopped.</summary>
    public static ProblemHttpResult? Cursor(string? cursor, PageCursor format, out string? position)
    {
        position = null;
        if (cursor is null)
            return null;
        if (!format.TryDecode(cursor, out var decoded))
            return Problems.InvalidParameter("cursor", "Pass back the next_cursor of a previous page.");
        position = decoded;
        return null;
    }

    /// <summary>One of a closed set of names (a status, a message type).</summary>
    public static ProblemHttpResult? OneOf(string name, string? value, IReadOnlyCollection<string> allowed) =>
        value is not null && !allowed.Contains(value)
            ? Problems.InvalidParameter(name, $"{name} must be one of {string.Join(", ", allowed)}.")
            : null;

    /// <summary>Free text of 1 to <paramref name="maxLength"/> characters.</summary>
    public static ProblemHttpResult? Text(string name, string? value, int maxLength) =>
        value is not null && (value.Length == 0 || value.Length > maxLength)
            ? Problems.InvalidParameter(name, $"{name} must be 1-{maxLength} characters.")
            : null;

    /// <summary>A point in time (ISO 8601; UTC when no offset is given).</summary>
    public static ProblemHttpResult? Time(string name, string? value, out DateTimeOffset time)
    {
        time = default;
        return value is not null && !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time)
            ? Problems.InvalidParameter(name, $"{name} must be an ISO 8601 time, e.g. 2026-11-28T12:00:00Z.")
            : null;
    }
}
