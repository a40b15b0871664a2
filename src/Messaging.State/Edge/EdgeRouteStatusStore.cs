using System.Text.Json;
using StackExchange.Redis;

namespace Messaging.State.Edge;

/// <summary>How one hostname of a service is served at the edge: its certificate's state and expiry.</summary>
/// <param name="Host">The hostname.</param>
/// <param name="Tls"><see cref="RouteTls.Issued"/>, <see cref="RouteTls.Pending"/> or <see cref="RouteTls.Failed"/>.</param>
/// <param name="ExpiresAt">The served certificate's end of validity, when issued.</param>
/// <param name="Error">Why issuance failed, when it did.</param>
public sealed record RouteStatus(string Host, string Tls, DateTimeOffset? ExpiresAt, string? Error = null);

/// <summary>The certificate states of a route.</summary>
public static class RouteTls
{
    public const string Issued = "issued";
    public const string Pending = "pending";
    public const string Failed = "failed";
}

/// <summary>
/// Each service's routes at the edge, as the edge host last saw them; the API shows them in <c>GET /api/v1/services/{id}</c>.
/// One hash field per service, written whole, so a reader never sees half a sync.
/// </summary>
public sealed class EdgeRouteStatusStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IDatabase Db => redis.GetDatabase();

    public async Task<IReadOnlyList<RouteStatus>> GetAsync(Guid serviceId)
    {
        var value = await Db.HashGetAsync(keys.EdgeRoutes, serviceId.ToString("D"));
        return value.HasValue ? JsonSerializer.Deserialize<RouteStatus[]>(value.ToString(), Json) ?? [] : [];
    }

    /// <summary>Every service's routes as the edge serves them now: services not in <paramref name="routes"/> have none.</summary>
    public async Task ReplaceAllAsync(IReadOnlyDictionary<Guid, IReadOnlyList<RouteStatus>> routes)
    {
        var stored = await Db.HashKeysAsync(keys.EdgeRoutes);
        var gone = stored.Where(field => !Guid.TryParse(field.ToString(), out var id) || !routes.ContainsKey(id)).ToArray();
        if (gone.Length > 0)
            await Db.HashDeleteAsync(keys.EdgeRoutes, gone);
        if (routes.Count > 0)
            await Db.HashSetAsync(keys.EdgeRoutes, [.. routes.Select(pair => new HashEntry(pair.Key.ToString("D"), JsonSerializer.Serialize(pair.Value, Json)))]);
    }
}
