using MassTransit;
using Messaging.Contracts;
using Messaging.State;

namespace Messaging.Api.Services;

/// <summary>A running service's resource figures, read by the worker from the engine over request/response.</summary>
public static class StatsEndpoint
{
    public static async Task<Results<Ok<ServiceStatsView>, ProblemHttpResult>> Handle(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, IRequestClient<GetServiceStats> client)
    {
        var record = await records.FindVisibleAsync(serviceId, user);
        if (record is null)
            return Problems.ServiceNotFound(serviceId);
        // The record says so already: no need to ask a worker (which would also answer wrong_state).
        if (record.Status != ServiceStatus.Running)
            return Problems.NotRunning($"Service {serviceId} is {record.Status}; only a running service has live figures.");
        return await WorkerRequests.AskAsync<GetServiceStats, ServiceStats, ServiceStatsUnavailable, ServiceStatsView>(
            client, new GetServiceStats { ServiceId = serviceId }, "stats", ServiceStatsView.From,
            refusal => WorkerRequests.Refusal(refusal.Reason, refusal.Message, Problems.NoStats));
    }
}

/// <summary>
/// What <c>GET /services/{id}/stats</c> answers. <see cref="CpuPercent"/> is 100 per fully used core (as
/// <c>docker stats</c>); counters are totals since the container started.
/// </summary>
public sealed record ServiceStatsView(
    Guid ServiceId, DateTimeOffset ReadAt, double CpuPercent, int OnlineCpus, long MemoryUsedBytes, long MemoryLimitBytes,
    long NetworkRxBytes, long NetworkTxBytes, long BlockReadBytes, long BlockWriteBytes, long Pids)
{
    public static ServiceStatsView From(ServiceStats stats) => new(
        stats.ServiceId, stats.ReadAt, stats.CpuPercent, stats.OnlineCpus, stats.MemoryUsedBytes, stats.MemoryLimitBytes,
        stats.NetworkRxBytes, stats.NetworkTxBytes, stats.BlockReadBytes, stats.BlockWriteBytes, stats.Pids);
}
