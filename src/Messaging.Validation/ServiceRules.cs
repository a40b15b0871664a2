using Messaging.Contracts;
using System.Text.RegularExpressions;
using FluentValidation;

namespace Messaging.Validation;

/// <summary>
/// The syntax of a service request, as rule-builder extensions. The API's request validator and the
/// worker's command validator are built from these same rules, so they accept exactly the same things.
/// </summary>
public static partial class ServiceRules
{
    public const int MaxEnvEntries = 64;
    public const int MaxEnvValueLength = 4096;
    public const int MaxEnvTotalBytes = 32 * 1024;
    public const double MaxCpus = 64;
    public const double MinCpus = 0.01;
    public const int MaxRequesterLength = 128;
    /// <summary>The most restarts a request may ask for in its window (the worker's own cap may be lower).</summary>
    public const int MaxRestartsLimit = 100;

    // 2-63 characters: the name is also the container name, and Docker refuses one-character names.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{1,62}\z", RegexOptions.CultureInvariant)]
    public static partial Regex ServiceNamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,127}\z", RegexOptions.CultureInvariant)]
    public static partial Regex EnvKeyPattern();

    // Requesters end up in container labels and logs: keep them plain.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\z", RegexOptions.CultureInvariant)]
    public static partial Regex RequesterPattern();

    public static IRuleBuilderOptions<T, string?> MustBeServiceName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().WithMessage("is required.")
            .Must(name => name is not null && ServiceNamePattern().IsMatch(name))
            .WithMessage("must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit.");

    public static IRuleBuilderOptions<T, string?> MustBeImageReference<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().WithMessage("is required.")
            .Must(image => ImageReference.TryParse(image, out _))
            .WithMessage("must be a Docker image reference such as nginx:alpine.");

    // Limits may be left out (the worker applies the image's defaults), but one that is given must be good:
    // an empty string or 0 is a mistake, not a way to ask for the default.
    public static IRuleBuilderOptions<T, string?> MustBeMemoryLimitWhenPresent<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(text => text is null || MemorySize.TryParseLimit(text, out _))
            .WithMessage("must be a whole number with an optional unit b, k, m or g (e.g. 128m), between 6m and 1024g.");

    public static IRuleBuilderOptions<T, double?> MustBeCpuLimitWhenPresent<T>(this IRuleBuilder<T, double?> rule) =>
        rule.Must(cpus => cpus is null || (double.IsFinite(cpus.Value) && cpus > 0 && cpus <= MaxCpus))
            .WithMessage($"must be a number of cores greater than 0 and at most {MaxCpus}.")
            .Must(cpus => cpus is null || !double.IsFinite(cpus.Value) || cpus <= 0 || cpus >= MinCpus)
            .WithMessage($"must be at least {MinCpus} cores (the kernel's smallest CPU quota).");

    public static IRuleBuilderOptions<T, int?> MustBePortWhenPresent<T>(this IRuleBuilder<T, int?> rule) =>
        rule.Must(port => port is null or (>= 1 and <= 65535)).WithMessage("must be between 1 and 65535.");

    public static IRuleBuilderOptions<T, string?> MustBeRestartPolicyWhenPresent<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(policy => policy is null || RestartPolicies.All.Contains(policy))
            .WithMessage($"must be one of {string.Join(", ", RestartPolicies.All)}.");

    public static IRuleBuilderOptions<T, int?> MustBeMaxRestartsWhenPresent<T>(this IRuleBuilder<T, int?> rule) =>
        rule.Must(max => max is null or (>= 0 and <= MaxRestartsLimit)).WithMessage($"must be between 0 and {MaxRestartsLimit}.");

    public static IRuleBuilderOptions<T, string?> MustBeUnhealthyActionWhenPresent<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(action => action is null || UnhealthyActions.All.Contains(action))
            .WithMessage($"must be one of {string.Join(", ", UnhealthyActions.All)}.");

    public static IRuleBuilderOptions<T, IReadOnlyDictionary<string, string>?> MustBeEnvironment<T>(
        this IRuleBuilder<T, IReadOnlyDictionary<string, string>?> rule) =>
        rule.Must(env => env is null || env.Count <= MaxEnvEntries)
            .WithMessage($"may have at most {MaxEnvEntries} variables.")
            .Must(env => env is null || env.Keys.All(key => EnvKeyPattern().IsMatch(key)))
            .WithMessage("names must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters).")
            .Must(env => env is null || env.Values.All(value => value is not null && value.Length <= MaxEnvValueLength && !value.Contains('\0')))
            .WithMessage($"values must be strings of at most {MaxEnvValueLength} characters without NUL.")
            .Must(env => env is null || env.Sum(pair => pair.Key.Length + 1 + (pair.Value?.Length ?? 0)) <= MaxEnvTotalBytes)
            .WithMessage($"may total at most {MaxEnvTotalBytes} characters.");
}
