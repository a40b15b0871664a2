namespace Messaging.Api.Services;

/// <summary>
/// Body of <c>POST /api/v1/services</c>; exactly these fields, in snake_case. Either the service itself (<c>image</c>
/// and the optional limits, port and env), or a <c>template</c> from the catalogue with its <c>version</c> (newest when
/// absent) and <c>params</c>, which then says all of that.
/// </summary>
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
    /// <summary>A template of the catalogue (<c>GET /api/v1/templates</c>) that says image, limits, port and env.</summary>
    public string? Template { get; init; }
    /// <summary>The template's version; its newest when absent.</summary>
    public int? Version { get; init; }
    /// <summary>Values of the template's parameters, by name.</summary>
    public IReadOnlyDictionary<string, string>? Params { get; init; }
}
