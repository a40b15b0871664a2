using Messaging.State.Capacity;
using Messaging.State.Reservations;
using Messaging.Validation;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Policy;

/// <summary>
/// Writes the worker's allowlist caps and defaults, port range and host budget to Redis every
/// <see cref="Interval"/> (<see cref="CapacityReports"/>), so that the API can show users the caps of each image
/// (<c>GET /api/v1/images</c>, the dashboard's create form) and admins the capacity (<c>GET /api/v1/capacity</c>)
/// without a copy of the worker's configuration and without engine access. Every worker writes the same figures; the
/// key expires when none writes it.
/// </summary>
public sealed class CapacityReporter(
    CapacityReports reports,
    IOptions<ImagePolicyOptions> policy,
    IOptions<PortRangeOptions> ports,
    HostBudgets budgets,
    TimeProvider clock,
    ILogger<CapacityReporter> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await reports.WriteAsync((await ReportAsync(stoppingToken)).ToJson(), Interval * 3);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Capacity report not written; trying again in {Interval}", Interval);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The report as this worker's configuration says; the host budget is left out while the engine cannot tell its unset parts.</summary>
    public async Task<CapacityReport> ReportAsync(CancellationToken cancellationToken)
    {
        var options = policy.Value;
        var images = options.AllowedImages.Select(entry => new ImageCaps(
            entry.Image,
            options.MemoryCapOf(entry),
            options.CpuCapOf(entry),
            MemorySize.TryParseLimit(entry.DefaultMemory ?? options.DefaultMemory, out var memory) ? memory : 0,
            entry.DefaultCpus ?? options.DefaultCpus,
            entry.InternalPort)).ToList();
        HostBudgetReport? host = null;
        try
        {
            var budget = await budgets.GetAsync(cancellationToken);
            host = new HostBudgetReport(budget.MemoryBytes, budget.Cpus);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug(e, "Host budget unknown for the capacity report");
        }
        return new CapacityReport(clock.GetUtcNow(), images, new PortRange(ports.Value.Min, ports.Value.Max), host);
    }
}
