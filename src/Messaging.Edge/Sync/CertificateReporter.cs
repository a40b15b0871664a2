using MassTransit;
using Messaging.Contracts;
using Messaging.Edge.Routing;
using Messaging.State.Edge;

namespace Messaging.Edge.Sync;

/// <summary>
/// After each sync: writes every routed service's hostnames with their certificate state to the state module (what
/// <c>GET /api/v1/services/{id}</c> shows as <c>routes</c>), and publishes <see cref="ServiceCertificateFailed"/> when a
/// hostname's issuance has failed since the last report (once per failed attempt the proxy logged, not at every sync).
/// </summary>
public sealed class CertificateReporter(IEdgeRoutes edge, EdgeRouteStatusStore store, IBus bus, ILogger<CertificateReporter> logger)
{
    private readonly Dictionary<string, DateTimeOffset> _reportedFailures = new(StringComparer.Ordinal);

    public async Task ReportAsync(IReadOnlyList<EdgeRoute> routes, CancellationToken cancellationToken)
    {
        var services = routes.Where(r => r.ServiceId is not null).ToArray();
        var certificates = await edge.CertificatesAsync([.. services.Select(r => r.Host)], cancellationToken);
        var byService = services.GroupBy(r => r.ServiceId!.Value).ToDictionary(
            group => group.Key,
            group => (IReadOnlyList<RouteStatus>)[.. group.Select(route =>
            {
                var state = certificates.GetValueOrDefault(route.Host) ?? new CertificateState(RouteTls.Pending, null);
                return new RouteStatus(route.Host, state.Tls, state.ExpiresAt, state.Error);
            })]);
        await store.ReplaceAllAsync(byService);

        foreach (var route in services)
        {
            if (certificates.GetValueOrDefault(route.Host) is not { Tls: RouteTls.Failed, FailedAt: { } failedAt } failed)
                continue;
            if (_reportedFailures.TryGetValue(route.Host, out var reported) && reported >= failedAt)
                continue;
            _reportedFailures[route.Host] = failedAt;
            logger.LogWarning("No certificate for {Host} ({Service}): {Error}", route.Host, route.Name, failed.Error);
            await bus.Publish(new ServiceCertificateFailed
            {
                ServiceId = route.ServiceId!.Value, ServiceName = route.Name, Host = route.Host, Error = failed.Error ?? "", At = failedAt,
            }, cancellationToken);
        }
        // Forget hostnames no longer routed, so a later failure of a reused name is reported again.
        foreach (var host in _reportedFailures.Keys.Except(services.Select(r => r.Host)).ToArray())
            _reportedFailures.Remove(host);
    }
}
