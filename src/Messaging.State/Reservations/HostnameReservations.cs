using System.Text.Json;
using Messaging.State.Scripts;
using StackExchange.Redis;

namespace Messaging.State.Reservations;

/// <summary>
/// Extra hostnames (reached through the edge), each held by at most one live service. The worker reserves a service's
/// set in one script before creating it and gives it back when the creation fails or the service is removed; the API
/// only asks who holds a hostname, to refuse early what is certain.
/// </summary>
public sealed class HostnameReservations(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>Reserves all of <paramref name="hostnames"/> for the service, or none: null when reserved, else a hostname another service holds.</summary>
    public async Task<string?> ReserveAsync(Guid serviceId, IReadOnlyList<string> hostnames)
    {
        if (hostnames.Count == 0)
            return null;
        var taken = (string?)await Db.ScriptEvaluateAsync(StateScripts.ReserveHostnames, new
        {
            hostnames = keys.Hostnames, serviceId = serviceId.ToString("D"), hosts = JsonSerializer.Serialize(hostnames),
        });
        return string.IsNullOrEmpty(taken) ? null : taken;
    }

    /// <summary>Gives back those of <paramref name="hostnames"/> the service holds (none of another service's).</summary>
    public async Task ReleaseAsync(Guid serviceId, IReadOnlyList<string> hostnames)
    {
        if (hostnames.Count == 0)
            return;
        await Db.ScriptEvaluateAsync(StateScripts.ReleaseHostnames, new
        {
            hostnames = keys.Hostnames, serviceId = serviceId.ToString("D"), hosts = JsonSerializer.Serialize(hostnames),
        });
    }

    /// <summary>The service holding a hostname, if any.</summary>
    public async Task<Guid?> HolderOfAsync(string hostname)
    {
        var value = await Db.HashGetAsync(keys.Hostnames, hostname);
        return value.HasValue && Guid.TryParse(value.ToString(), out var id) ? id : null;
    }
}
