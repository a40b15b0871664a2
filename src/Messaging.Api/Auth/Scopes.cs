namespace Messaging.Api.Auth;

/// <summary>What a token may do. <see cref="Admin"/> implies every other scope.</summary>
public static class Scopes
{
    public const string ClaimType = "scope";
    public const string ServicesRead = "services:read";
    public const string ServicesWrite = "services:write";
    public const string Admin = "admin";

    /// <summary>Read <c>/metrics</c>: a Prometheus scraper's token needs nothing more.</summary>
    public const string MetricsRead = "metrics:read";

    /// <summary>Ask for builds of the operator's build contexts and read them (issue 17).</summary>
    public const string ImagesBuild = "images:build";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal) { ServicesRead, ServicesWrite, MetricsRead, ImagesBuild, Admin };

    public static bool Has(this ClaimsPrincipal user, string scope) =>
        user.HasClaim(ClaimType, scope) || user.HasClaim(ClaimType, Admin);

    /// <summary>The caller's id: the token id, which is also the owner of what it creates.</summary>
    public static string Id(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Unauthenticated caller.");
}
