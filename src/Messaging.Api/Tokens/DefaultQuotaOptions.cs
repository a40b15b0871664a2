using Messaging.State.Tokens;
using Messaging.Validation;

namespace Messaging.Api.Tokens;

/// <summary>
/// Section <c>Quotas:DefaultForNewTokens</c>: the quota a token gets for each limit its creation request leaves out,
/// so that no token can take every port and all the host's memory by default. A limit given in the request wins;
/// <c>"unlimited_quota": true</c> in the request asks for none at all, explicitly. A limit set empty here has no default.
/// </summary>
public sealed class DefaultQuotaOptions
{
    public const string Section = "Quotas:DefaultForNewTokens";

    public int? MaxServices { get; set; } = 10;

    /// <summary>Docker units (<c>4g</c>).</summary>
    public string? MaxMemory { get; set; } = "4g";

    public double? MaxCpus { get; set; } = 4;

    /// <summary>The quota of a new token that asked for <paramref name="requested"/>.</summary>
    public Quota Apply(Quota requested) => new(
        requested.MaxServices ?? MaxServices,
        requested.MaxMemoryBytes ?? (MaxMemory is not null && MemorySize.TryParseLimit(MaxMemory, out var bytes) ? bytes : null),
        requested.MaxCpus ?? MaxCpus);

    public bool IsValid() =>
        MaxServices is null or > 0 &&
        (MaxMemory is null || MemorySize.TryParseLimit(MaxMemory, out _)) &&
        (MaxCpus is null || (double.IsFinite(MaxCpus.Value) && MaxCpus > 0));
}
