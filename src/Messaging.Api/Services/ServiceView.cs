using Messaging.State;

namespace Messaging.Api.Services;

/// <summary>A service as the REST API shows it.</summary>
public sealed record ServiceView(
    Guid ServiceId,
    string ServiceName,
    string Image,
    string Owner,
    string Status,
    string MemoryLimit,
    double CpuLimit,
    int? InternalPort,
    string? Host,
    int? HostPort,
    string? ContainerId,
    FailureView? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static ServiceView From(ServiceRecord r) => new(
        r.ServiceId, r.Name, r.Image, r.Owner, r.Status, r.MemoryLimit, r.CpuLimit, r.InternalPort, r.Host, r.HostPort,
        r.ContainerId, r.FailureCode is null ? null : new FailureView(r.FailureCode, r.FailureMessage ?? ""), r.CreatedAt, r.UpdatedAt);
}

public sealed record FailureView(string Code, string Message);

/// <summary>Body of the 202 answer to a create.</summary>
public sealed record ServiceAccepted(Guid ServiceId, string ServiceName, string Status);
