using Messaging.State.Locks;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Worker.Reconciliation;

/// <summary>Runs a reconcile pass at start and then every <see cref="ReconcilerOptions.Interval"/>, one worker at a time.</summary>
public sealed class ReconcilerService(
    Reconciler reconciler,
    Stacks.StackNetworkSweeper stackNetworks,
    Quotas.QuotaWatch quotaWatch,
    InstallationLocks locks,
    IOptions<ReconcilerOptions> options,
    ILogger<ReconcilerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        using var timer = new PeriodicTimer(options.Value.Interval);
        do
        {
            await RunOnce(stoppingToken);
        } while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }

    private async Task RunOnce(CancellationToken stoppingToken)
    {
        try
        {
            await using var held = await locks.TryAcquireReconcilerAsync(options.Value.Interval);
            if (held is null)
                return;
            var report = await reconciler.ReconcileAsync(stoppingToken);
            // After the containers: a member container the pass just removed may have been a network's last.
            await stackNetworks.SweepAsync(stoppingToken);
            // The owners near their quota (a gauge): on the pass, not per scrape, from the owners the pass saw.
            await quotaWatch.RecountAsync(report.Owners);
            if (report.Corrections.Count > 0)
                logger.LogInformation("Reconciled {Containers} containers: {Corrections}", report.Containers,
                    string.Join(", ", report.Corrections.Select(c => $"{c.Key}={c.Value}")));
        }
        catch (Exception e) when (e is ContainerRuntimeException or RedisException or TimeoutException)
        {
            logger.LogWarning("Reconcile pass skipped: {Message}", e.Message);
        }
    }
}
