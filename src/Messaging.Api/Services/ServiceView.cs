using Messaging.Contracts;
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
    /// <summary><c>starting</c>, <c>healthy</c>, <c>unhealthy</c> or <c>none</c> (no health check, or not running).</summary>
    public string Health { get; init; } = ServiceHealth.None;

    /// <summary>Restarts the supervisor made over the service's life.</summary>
    public int RestartCount { get; init; }

    /// <summary>How the container last exited on its own; null if it never did.</summary>
    public ExitView? LastExit { get; init; }

    /// <summary>When a restart the supervisor scheduled is due (it waits out its backoff); null when none is.</summary>
    public DateTimeOffset? NextRestartAt { get; init; }

    /// <summary>The container's last log lines, kept when the service was found crash-looping.</summary>
    public string? LogTail { get; init; }
    /// <summary>The service's hostnames at the edge and their certificates (<c>GET /api/v1/services/{id}</c> only; null in listings).</summary>
    public IReadOnlyList<RouteView>? Routes { get; init; }

    public static ServiceView From(ServiceRecord r) => new(
        r.ServiceId, r.Name, r.Image, r.Owner, r.Status, r.MemoryLimit, r.CpuLimit, r.InternalPort, r.Host, r.HostPort,
        r.ContainerId, r.FailureCode is null ? null : new FailureView(r.FailureCode, r.FailureMessage ?? ""), r.CreatedAt, r.UpdatedAt)
    {
        Health = r.CurrentHealth,
        RestartCount = r.RestartCount,
        LastExit = r.LastExit is { } exit ? new ExitView(exit.Code, exit.Oom, exit.At) : null,
        NextRestartAt = r.Restarts.NextAt,
        LogTail = r.LogTail,
    };
}

/// <summary>A container's exit: its code, whether the OOM killer ended it, and when.</summary>
public sealed record ExitView(long Code, bool Oom, DateTimeOffset At);

public sealed record FailureView(string Code, string Message);

/// <summary>One hostname of a service at the edge: <c>tls</c> is <c>issued</c>, <c>pending</c> or <c>failed</c> (then <c>error</c> says why).</summary>
public sealed record RouteView(string Host, string Tls, DateTimeOffset? ExpiresAt, string? Error)
{
    public static RouteView From(Messaging.State.Edge.RouteStatus route) => new(route.Host, route.Tls, route.ExpiresAt, route.Error);
}

/// <summary>
/// Body of the 202 answer to a create. <see cref="GeneratedSecrets"/>: the values a template generated, shown in
/// this answer only (a replay with the same Idempotency-Key does not show them again; nothing else keeps them but the container).
/// </summary>
public sealed record ServiceAccepted(Guid ServiceId, string ServiceName, string Status)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? GeneratedSecrets { get; init; }
}
