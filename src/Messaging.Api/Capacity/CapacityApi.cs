using Messaging.State.Capacity;
using Messaging.Validation;

namespace Messaging.Api.Capacity;

/// <summary>
/// What a caller can plan against before it asks (issue 19): <c>GET /api/v1/images</c> (scope <c>services:read</c>),
/// the images of the worker's allowlist with their caps and defaults, and <c>GET /api/v1/capacity</c> (scope
/// <c>admin</c>), the host's port range, ports taken and budget in use. The API has neither the worker's configuration
/// nor the engine: the caps, range and budget are the worker's report (<see cref="CapacityReports"/>, written every 30 s,
/// expiring when no worker writes), the counts are the reservations Redis holds. The worker still decides every request.
/// </summary>
public static class CapacityApi
{
    public static RouteGroupBuilder MapCapacityApi(this RouteGroupBuilder api)
    {
        api.MapGet("/images", Images).RequireAuthorization(Scopes.ServicesRead).WithTags("Capacity").WithName("ListImages")
            .WithSummary("The allowlisted images with their memory and CPU caps, default limits and container port, as the worker reported them.");
        api.MapGet("/capacity", Capacity).RequireAuthorization(Scopes.Admin).WithTags("Capacity").WithName("GetCapacity")
            .WithSummary("The host's port range with the ports reserved, blocked and free, and the host budget with what services hold of it.");
        return api;
    }

    public static async Task<Ok<ImagesView>> Images(CapacityReports reports)
    {
        var report = await ReadAsync(reports);
        return TypedResults.Ok(new ImagesView(report is not null, report?.UpdatedAt,
            [.. (report?.Images ?? []).Select(i => new ImageView(i.Image, MemorySize.Format(i.MaxMemoryBytes), i.MaxMemoryBytes, i.MaxCpus,
                MemorySize.Format(i.DefaultMemoryBytes), i.DefaultMemoryBytes, i.DefaultCpus, i.InternalPort))]));
    }

    public static async Task<Ok<CapacityView>> Capacity(CapacityReports reports)
    {
        var report = await ReadAsync(reports);
        var counts = await reports.PortCountsAsync();
        var (memoryBytes, milliCpus) = await reports.HostUsageAsync();
        int? size = report is null ? null : report.Ports.Max - report.Ports.Min + 1;
        return TypedResults.Ok(new CapacityView(report is not null, report?.UpdatedAt,
            new PortsView(report?.Ports.Min, report?.Ports.Max, size, counts.Reserved, counts.Blocked,
                size is { } n ? Math.Max(0, n - counts.Reserved - counts.Blocked) : null),
            new HostView(report?.HostBudget?.MemoryBytes, memoryBytes, report?.HostBudget?.Cpus, milliCpus / 1000.0)));
    }

    private static async Task<CapacityReport?> ReadAsync(CapacityReports reports) =>
        await reports.ReadAsync() is { } json ? CapacityReport.FromJson(json) : null;
}

/// <summary><see cref="Reported"/> false: no worker reported lately, and the list is empty (not: nothing is allowed).</summary>
public sealed record ImagesView(bool Reported, DateTimeOffset? UpdatedAt, IReadOnlyList<ImageView> Images);

/// <summary>An allowlist entry: a request above <c>max_*</c> is refused (<c>limit_exceeded</c>); one without limits gets <c>default_*</c>.</summary>
public sealed record ImageView(string Image, string MaxMemory, long MaxMemoryBytes, double MaxCpus, string DefaultMemory, long DefaultMemoryBytes,
    double DefaultCpus, int InternalPort);

/// <summary>The capacity; the range, its size, free ports and the budget are null when no worker reported lately.</summary>
public sealed record CapacityView(bool Reported, DateTimeOffset? UpdatedAt, PortsView Ports, HostView Host);

/// <summary>Ports of the range: reserved (services' and warm pool members'), blocked for a while (refused by the engine), free.</summary>
public sealed record PortsView(int? Min, int? Max, int? Size, long Reserved, long Blocked, long? Free);

/// <summary>The host budget (null: unknown or unlimited) and what the reservations of all services hold of it.</summary>
public sealed record HostView(long? MemoryBytes, long MemoryBytesUsed, double? Cpus, double CpusUsed);
