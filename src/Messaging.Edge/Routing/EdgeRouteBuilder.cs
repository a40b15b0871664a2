using Messaging.Contracts;
using Messaging.State;
using Messaging.Validation.Hostnames;
using Microsoft.Extensions.Options;

namespace Messaging.Edge.Routing;

/// <summary>
/// Turns the service records into the edge's route set: every hostname of a service that exists, proxied to its
/// published port while it may be served (running, and healthy or without a health check), else its 503 page (stopped,
/// starting, unhealthy, crash-looping); nothing for a service that failed or is being removed, so its hostnames stop
/// answering for it. Pure, so the same records always give the same routes.
/// </summary>
public sealed class EdgeRouteBuilder(IOptions<HostnameOptions> hostnames, IOptions<EdgeOptions> edge)
{
    /// <summary>Statuses whose hostnames stay configured (with their certificate) but answer 503.</summary>
    private static readonly HashSet<string> HeldStatuses =
        [ServiceStatus.Pending, ServiceStatus.Creating, ServiceStatus.Running, ServiceStatus.Stopped, ServiceStatus.CrashLooping];

    public IReadOnlyList<EdgeRoute> Build(IEnumerable<ServiceRecord> records)
    {
        var routes = new Dictionary<string, EdgeRoute>(StringComparer.Ordinal);
        // Oldest first: should two records ever name one hostname, the older keeps it (reservations prevent it).
        foreach (var record in records.OrderBy(r => r.CreatedAt).ThenBy(r => r.ServiceId))
        {
            var upstream = Upstream(record);
            if (upstream is null && !HeldStatuses.Contains(record.Status))
                continue;
            foreach (var host in HostnamesOf(record))
                routes.TryAdd(host, new EdgeRoute(host, upstream, record.ServiceId, record.Name));
        }
        if (edge.Value.ApiUpstream.Length > 0 && hostnames.Value.ServiceHostname("api") is { } apiHost)
            routes[apiHost] = new EdgeRoute(apiHost, edge.Value.ApiUpstream, null, "api");
        // Sorted, so that the same set gives the same configuration byte for byte (the proxy skips an unchanged one).
        return [.. routes.Values.OrderBy(r => r.Host, StringComparer.Ordinal)];
    }

    /// <summary>The service's own hostname, then its extra ones.</summary>
    public IEnumerable<string> HostnamesOf(ServiceRecord record)
    {
        if (hostnames.Value.ServiceHostname(record.Name) is { } own)
            yield return own;
        // Checked and reserved by the worker; names the edge keeps (the API's) are skipped should one slip through.
        foreach (var extra in record.Hostnames)
        {
            if (hostnames.Value.ServiceHostname("api") != extra)
                yield return extra;
        }
    }

    /// <summary>Where a service may be reached now, or null when it may not be served.</summary>
    private string? Upstream(ServiceRecord record)
    {
        if (!MayServe(record) || record.HostPort is not { } port)
            return null;
        var host = edge.Value.UpstreamHost.Length > 0 ? edge.Value.UpstreamHost : record.Host;
        if (string.IsNullOrEmpty(host) || host == "0.0.0.0" || host == "::")
            host = "127.0.0.1";
        return host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
    }

    /// <summary>
    /// Running, and healthy or without a health check (records from before supervision have no health: none), and not
    /// degraded (on Swarm: no task runs anywhere, so its last node's port answers nothing; the 503 page says so instead).
    /// </summary>
    private static bool MayServe(ServiceRecord record) =>
        record.Status == ServiceStatus.Running && !record.IsDegraded
        && (record.Health ?? ServiceHealth.None) is ServiceHealth.Healthy or ServiceHealth.None;
}
