using Messaging.State.Tokens;
using Messaging.Validation;

namespace Messaging.Api.Me;

/// <summary>
/// <c>GET /api/v1/me</c>: who the presented token is, what it may do, and how much of its quota is in use (scope
/// <c>services:read</c>, which every token that can see services has), so that a client (the dashboard) can show only
/// the actions the token is allowed and the quota left (<c>remaining</c>: the quota less the usage, never below 0; null
/// where unlimited), without probing calls that would fail. The API still checks every call.
/// </summary>
public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", Get).RequireAuthorization(Scopes.ServicesRead).WithTags("Tokens").WithName("GetMe")
            .WithSummary("The caller's token id, scopes, quota and current usage.");
        return api;
    }

    public static async Task<Ok<MeView>> Get(ClaimsPrincipal user, TokenStore tokens)
    {
        var quota = user.Quota();
        var usage = await tokens.UsageOfAsync(user.Id());
        var scopes = user.FindAll(Scopes.ClaimType).Select(c => c.Value).Distinct().ToList();
        var cpus = usage.MilliCpus / 1000.0;
        return TypedResults.Ok(new MeView(user.Id(), scopes, user.Has(Scopes.Admin),
            new QuotaView(quota.MaxServices, quota.MaxMemoryBytes is { } m ? MemorySize.Format(m) : null, quota.MaxMemoryBytes, quota.MaxCpus),
            new UsageView(usage.Services, usage.MemoryBytes, cpus),
            new RemainingView(
                quota.MaxServices is { } s ? Math.Max(0, s - usage.Services) : null,
                quota.MaxMemoryBytes is { } b ? Math.Max(0, b - usage.MemoryBytes) : null,
                quota.MaxCpus is { } c ? Math.Max(0, Math.Round(c - cpus, 3)) : null)));
    }
}

/// <summary>The caller as the API sees it. Null quota fields are unlimited.</summary>
public sealed record MeView(string Id, IReadOnlyList<string> Scopes, bool Admin, QuotaView Quota, UsageView Usage, RemainingView Remaining);

public sealed record QuotaView(int? MaxServices, string? MaxMemory, long? MaxMemoryBytes, double? MaxCpus);

public sealed record UsageView(int Services, long MemoryBytes, double Cpus);

/// <summary>What the quota still allows: its limit less the usage, never below 0; null where the quota sets no limit.</summary>
public sealed record RemainingView(int? Services, long? MemoryBytes, double? Cpus);
