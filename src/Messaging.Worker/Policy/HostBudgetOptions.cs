using Messaging.Validation;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Policy;

/// <summary>
/// Section <c>HostBudget</c>: the total memory and CPU the worker may hand out on its host, over all services and
/// owners. Each unset one defaults to what the engine reports for the host (<c>/info</c>: MemTotal, NCPU), so the
/// limits of all services together never promise more than the machine has, however many tokens and quotas there are.
/// </summary>
public sealed class HostBudgetOptions
{
    public const string Section = "HostBudget";

    /// <summary>Memory in Docker's units (<c>16g</c>); unset: the engine's MemTotal.</summary>
    public string? Memory { get; set; }

    /// <summary>CPUs (fractions allowed); unset: the engine's NCPU.</summary>
    public double? Cpus { get; set; }

    /// <summary>Null when the settings read; else what is wrong, for the start-up failure.</summary>
    public string? Problem() =>
        Memory is not null && !MemorySize.TryParse(Memory, out _) ? $"{Section}:Memory '{Memory}' is not a size (e.g. 16g)."
        : Cpus is <= 0 ? $"{Section}:Cpus must be above 0."
        : null;
}

/// <summary>A budget that does not read stops the worker at start.</summary>
public sealed class HostBudgetOptionsValidator : IValidateOptions<HostBudgetOptions>
{
    public ValidateOptionsResult Validate(string? name, HostBudgetOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
