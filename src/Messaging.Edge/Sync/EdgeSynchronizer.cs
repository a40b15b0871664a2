using Messaging.Edge.Routing;
using Messaging.State;

namespace Messaging.Edge.Sync;

/// <summary>
/// Brings the edge in step with the service records: reads every record, builds the route set and hands it to the
/// edge whole. Events and the periodic timer both end here, so there is one way routes change. Requests that arrive
/// while a sync runs are served by the next one (one sync for a burst of events), and never by one that began
/// before they were made, which could have read the records before the change they announce.
/// </summary>
public sealed class EdgeSynchronizer(
    ServiceRecordStore records, EdgeRouteBuilder builder, IEdgeRoutes edge, CertificateReporter certificates, ILogger<EdgeSynchronizer> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _requested;
    private long _completed;

    /// <summary>The route set last applied (empty before the first sync).</summary>
    public IReadOnlyList<EdgeRoute> Current { get; private set; } = [];

    /// <summary>Returns once a sync that read the records after this call began has been applied.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var ticket = Interlocked.Increment(ref _requested);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Interlocked.Read(ref _completed) >= ticket)
                return;
            var upTo = Interlocked.Read(ref _requested);
            var ids = await records.AllIdsAsync();
            var all = await Task.WhenAll(ids.Select(records.GetAsync));
            var routes = builder.Build(all.OfType<ServiceRecord>());
            await edge.ApplyAsync(routes, cancellationToken);
            if (routes.Count != Current.Count)
                logger.LogInformation("The edge serves {Count} hostnames ({Serving} proxied)", routes.Count, routes.Count(r => r.Serves));
            Current = routes;
            Interlocked.Exchange(ref _completed, upTo);
            await certificates.ReportAsync(routes, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }
}
