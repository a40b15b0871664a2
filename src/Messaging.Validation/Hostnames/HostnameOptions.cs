using System.ComponentModel.DataAnnotations;

namespace Messaging.Validation.Hostnames;

/// <summary>
/// Which hostnames services are reached by through the edge (section <c>Edge</c>), read alike by the API (a refused
/// hostname is a 400), the worker (it checks and reserves them again: other systems publish commands directly) and the
/// edge host (it routes them).
/// </summary>
public sealed class HostnameOptions : IValidatableObject
{
    public const string Section = "Edge";

    /// <summary>Every service is reached at <c>https://{service name}.{BaseDomain}</c>; empty: no edge, no hostnames.</summary>
    public string BaseDomain { get; set; } = "";

    /// <summary>
    /// Suffixes an extra hostname of a create request must end with (a hostname equal to a suffix is allowed too).
    /// Empty: extra hostnames are refused. Names directly under <see cref="BaseDomain"/> are never extra hostnames: each is
    /// the address of the service of that name.
    /// </summary>
    public string[]? AllowedSuffixes { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseDomain.Length > 0 && !Hostname.IsValid(BaseDomain))
            yield return new ValidationResult($"Edge:BaseDomain '{BaseDomain}' is not a DNS name.", [nameof(BaseDomain)]);
        foreach (var suffix in AllowedSuffixes ?? [])
        {
            if (!Hostname.IsValid(suffix.TrimStart('.')))
                yield return new ValidationResult($"Edge:AllowedSuffixes entry '{suffix}' is not a DNS name.", [nameof(AllowedSuffixes)]);
        }
    }

    /// <summary>The service's own hostname, or null when no base domain is set.</summary>
    public string? ServiceHostname(string serviceName) =>
        BaseDomain.Length == 0 ? null : $"{serviceName}.{Hostname.Normalize(BaseDomain)}";
}
