using System.Globalization;
using Messaging.Cli.Api;

namespace Messaging.Cli.Output;

/// <summary>How tokens look on the terminal. The secret appears in <see cref="WriteCreated"/> only.</summary>
internal static class TokenPrinter
{
    public static void WriteList(TextWriter output, IReadOnlyList<TokenView> tokens) =>
        TableWriter.Write(output, ["ID", "NAME", "SCOPES", "EXPIRES", "REVOKED", "LAST-USED", "QUOTA"],
            tokens.Select(t => (IReadOnlyList<string>)
                [t.Id, t.Name, Scopes(t), Time(t.ExpiresAt, "never"), Time(t.RevokedAt, "-"), Time(t.LastUsedAt, "never"), Quota(t)]));

    public static void WriteDetails(TextWriter output, TokenView t) => TableWriter.WriteFields(output, Fields(t));

    /// <summary>A new token: its secret, set apart, with the warning that this is the only chance to copy it.</summary>
    public static void WriteCreated(TextWriter output, CreatedToken created)
    {
        output.WriteLine($"Token {created.Details.Id} ({created.Details.Name}) created.");
        output.WriteLine();
        output.WriteLine($"    {created.Token}");
        output.WriteLine();
        output.WriteLine("warning: this is the only time the secret is shown; it cannot be shown again. Store it now.");
        output.WriteLine();
        WriteDetails(output, created.Details);
    }

    private static List<(string Key, string Value)> Fields(TokenView t) =>
    [
        ("id", t.Id),
        ("name", t.Name),
        ("scopes", Scopes(t)),
        ("created", Time(t.CreatedAt, "-")),
        ("expires", Time(t.ExpiresAt, "never")),
        ("revoked", Time(t.RevokedAt, "-")),
        ("last used", Time(t.LastUsedAt, "never")),
        ("quota", Quota(t)),
    ];

    private static string Scopes(TokenView t) => t.Scopes.Count == 0 ? "-" : string.Join(',', t.Scopes);

    /// <summary>ISO 8601 in UTC without spaces, so that table columns split on whitespace.</summary>
    private static string Time(DateTimeOffset? time, string none) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : none;

    /// <summary>The limits that are set, e.g. <c>services=3,memory=1g,cpus=2</c>; <c>-</c> when unlimited.</summary>
    private static string Quota(TokenView t)
    {
        var limits = new List<string>();
        if (t.MaxServices is { } services)
            limits.Add($"services={services.ToString(CultureInfo.InvariantCulture)}");
        if (t.MaxMemory is { } memory)
            limits.Add($"memory={memory}");
        if (t.MaxCpus is { } cpus)
            limits.Add($"cpus={cpus.ToString(CultureInfo.InvariantCulture)}");
        return limits.Count == 0 ? "-" : string.Join(',', limits);
    }
}
