namespace Messaging.Api.Services;

/// <summary>Body of <c>POST /api/v1/services</c>; exactly these fields, in snake_case.</summary>
public sealed record CreateServiceRequest
{
    public string? ServiceName { get; init; }
    public string? Image { get; init; }
    public string? MemoryLimit { get; init; }
    public double? CpuLimit { get; init; }
    public int? InternalPort { get; init; }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
    /// <summary><c>never</c>, <c>on-failure</c> or <c>always</c>; the allowlist entry's default when absent.</summary>
    public string? Restart { get; init; }
    /// <summary>Restarts within the window before <c>crash_looping</c>; the entry's default when absent.</summary>
    public int? MaxRestarts { get; init; }
    /// <summary><c>restart</c> or <c>report</c>; the entry's default when absent.</summary>
    public string? OnUnhealthy { get; init; }
    /// <summary>Extra hostnames the edge serves the service at (issue 15); see <see cref="Messaging.Validation.Hostnames.HostnamePolicy"/>.</summary>
    public IReadOnlyList<string>? Hostnames { get; init; }
}
