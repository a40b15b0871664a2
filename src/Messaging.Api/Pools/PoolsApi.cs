using System.Text.Json;
using Messaging.State.Pools;

namespace Messaging.Api.Pools;

/// <summary>
/// <c>GET /api/v1/pools</c> (scope <c>admin</c>): the warm pools as the worker's pool keeper last saw them: each pool's
/// size, idle and warming (being created) members, hits and misses, and the pool budget (issue 20). The API has no engine access; the
/// worker writes this summary to Redis on every pass (it expires when no worker writes it), and the API reads it.
/// </summary>
public static class PoolsApi
{
    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static RouteGroupBuilder MapPoolsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/pools", Get).RequireAuthorization(Scopes.Admin).WithTags("Pools").WithName("GetPools")
            .WithSummary("Warm pools: members idle and being created, hits, misses and the pool budget, as the worker last reported them.");
        return api;
    }

    public static async Task<Ok<PoolsView>> Get(PoolState pools)
    {
        var summary = await pools.ReadSummaryAsync();
        if (summary is null)
            return TypedResults.Ok(new PoolsView(false, null, null, []));
        var reported = JsonSerializer.Deserialize<PoolsView>(summary, SnakeCase)!;
        return TypedResults.Ok(reported with { Reported = true });
    }
}

/// <summary>
/// The pools' summary. <see cref="Reported"/> false: no worker reported pools lately (pools off, or no worker running).
/// </summary>
public sealed record PoolsView(bool Reported, DateTimeOffset? UpdatedAt, PoolBudgetView? Budget, IReadOnlyList<PoolView> Pools);

/// <summary>Members not yet claimed over all pools, against <c>Pools:MaxMembers</c>.</summary>
public sealed record PoolBudgetView(int MaxMembers, int Members);

/// <summary>One pool: its image and profile, the size it is kept at, members now, and claims served (hits) or not (misses).</summary>
public sealed record PoolView(string Name, string Image, long MemoryBytes, double Cpus, int Size, long MaxIdleSeconds, int Idle, int Warming, long Hits, long Misses);
