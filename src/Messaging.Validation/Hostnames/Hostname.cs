using System.Text.RegularExpressions;

namespace Messaging.Validation.Hostnames;

/// <summary>DNS hostnames as the edge accepts them: lower-case LDH labels, no wildcard, no trailing dot, no IP literal.</summary>
public static partial class Hostname
{
    public const int MaxLength = 253;

    // A label: 1-63 letters, digits and inner hyphens. At least two labels: a bare label is no public name.
    [GeneratedRegex(@"^(?=.{1,253}\z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static string Normalize(string hostname) => hostname.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>A normalized DNS name of two labels or more whose last label is not all digits (no IPv4 literal).</summary>
    public static bool IsValid(string? hostname) =>
        hostname is not null && Pattern().IsMatch(hostname) && !hostname[(hostname.LastIndexOf('.') + 1)..].All(char.IsAsciiDigit);

    /// <summary>Whether <paramref name="hostname"/> is <paramref name="suffix"/> or a name under it (label boundary).</summary>
    public static bool IsUnder(string hostname, string suffix)
    {
        var bare = Normalize(suffix).TrimStart('.');
        return hostname == bare || hostname.EndsWith("." + bare, StringComparison.Ordinal);
    }
}
