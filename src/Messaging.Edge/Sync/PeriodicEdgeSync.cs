using Microsoft.Extensions.Options;

namespace Messaging.Edge.Sync;

/// <summary>
/// The full sync every <c>Edge:SyncInterval</c>: a restarted Caddy (it keeps no configuration) gets its routes back,
/// a route nobody asked for is dropped, and an event lost while this host was down stops mattering.
/// </summary>
public sealed class PeriodicEdgeSync(EdgeSynchronizer synchronizer, IOptions<EdgeOptions> options, TimeProvider clock, ILogger<PeriodicEdgeSync> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SyncInterval, clock);
        var failing = false;
        do
        {
            try
            {
                await synchronizer.SyncAsync(stoppingToken);
                if (failing)
                    logger.LogInformation("The edge is in step with the records again");
                failing = false;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Said once per outage, not every interval.
                if (!failing)
                    logger.LogWarning("The edge could not be brought in step (trying every {Interval}): {Error}", options.Value.SyncInterval, e.Message);
                failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
