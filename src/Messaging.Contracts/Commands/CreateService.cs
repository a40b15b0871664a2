namespace Messaging.Contracts;

/// <summary>
/// Asks the worker to run a container. Published by the API or directly by another system;
/// the worker validates every field again and trusts none of them.
/// </summary>
public sealed record CreateService : IServiceCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    public Guid CommandId { get; init; }

    /// <summary>Identity of the service to create, chosen by the publisher.</summary>
    public Guid ServiceId { get; init; }

    /// <summary>Service and container name: <c>^[a-z0-9][a-z0-9-]{0,62}$</c>.</summary>
    public string ServiceName { get; init; } = "";

    /// <summary>Image reference; must be on the worker's allowlist.</summary>
    public string Image { get; init; } = "";

    /// <summary>
    /// Memory limit in Docker units (<c>b</c>, <c>k</c>, <c>m</c>, <c>g</c>), e.g. <c>128m</c>; absent (null): the
    /// image's allowlist entry's default memory, applied by the worker.
    /// </summary>
    public string? MemoryLimit { get; init; }

    /// <summary>CPU limit in cores, e.g. <c>0.5</c>; absent (null): the image's allowlist entry's default, applied by the worker.</summary>
    public double? CpuLimit { get; init; }

    /// <summary>Container port to publish; the allowlist entry's default when absent.</summary>
    public int? InternalPort { get; init; }

    /// <summary>Environment variables for the container.</summary>
    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>
    /// What the supervisor does when the container exits: one of <see cref="RestartPolicies"/>; the allowlist entry's
    /// default when absent.
    /// </summary>
    public string? Restart { get; init; }

    /// <summary>
    /// Restarts allowed within the restart window before the service is <c>crash_looping</c>; the entry's default when
    /// absent, at most the worker's cap.
    /// </summary>
    public int? MaxRestarts { get; init; }

    /// <summary>What a failing health check leads to: one of <see cref="UnhealthyActions"/>; the entry's default when absent.</summary>
    public string? OnUnhealthy { get; init; }

    /// <summary>
    /// Extra hostnames the edge serves the service at, besides <c>{serviceName}.{base domain}</c>: each under one of the
    /// operator's allowed suffixes and held by no other service (else <c>hostname_not_allowed</c> /
    /// <c>hostname_conflict</c>). Optional; added with issue 15.
    /// </summary>
    public IReadOnlyList<string>? Hostnames { get; init; }

    /// <summary>Who asked: a token id or the name of the publishing system. Becomes the owner.</summary>
    public string RequestedBy { get; init; } = "";

    /// <summary>When the request was made.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}
