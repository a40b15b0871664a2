using Messaging.State.Tokens;
using Messaging.Validation;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Identity;

/// <summary>
/// Section <c>Quotas:Systems</c>: what each broker publisher (owner <c>system:&lt;user&gt;</c>) may hold.
/// Tokens carry their own quotas; a system has none of its own, so it gets <see cref="Default"/>, or its
/// entry in <see cref="Users"/> (by broker user), whose unset fields fall back to the default's.
/// </summary>
public sealed class SystemQuotaOptions
{
    public const string Section = "Quotas:Systems";

    public QuotaSettings Default { get; set; } = new() { MaxServices = 10, MaxMemory = "2g", MaxCpus = 4 };

    public Dictionary<string, QuotaSettings> Users { get; set; } = [];

    public Quota QuotaOf(string brokerUser)
    {
        var own = Users.GetValueOrDefault(brokerUser);
        var memory = own?.MaxMemory ?? Default.MaxMemory;
        return new Quota(
            own?.MaxServices ?? Default.MaxServices,
            memory is null ? null : Bytes(memory),
            own?.MaxCpus ?? Default.MaxCpus);
    }

    /// <summary>Null when every entry reads; else what is wrong, for the start-up failure.</summary>
    public string? Problem() =>
        new[] { ("Default", Default) }.Concat(Users.Select(u => ($"Users:{u.Key}", u.Value)))
            .Select(entry => entry.Item2.Problem() is { } problem ? $"{Section}:{entry.Item1}: {problem}" : null)
            .FirstOrDefault(p => p is not null);

    private static long Bytes(string memory) => MemorySize.TryParse(memory, out var bytes) ? bytes : throw new FormatException(memory);
}

/// <summary>One quota in configuration; null fields are unlimited (in <see cref="SystemQuotaOptions.Users"/>: the default's).</summary>
public sealed class QuotaSettings
{
    public int? MaxServices { get; set; }
    public string? MaxMemory { get; set; }
    public double? MaxCpus { get; set; }

    internal string? Problem() =>
        MaxServices < 0 ? "MaxServices must be 0 or more."
        : MaxMemory is not null && !MemorySize.TryParse(MaxMemory, out _) ? $"MaxMemory '{MaxMemory}' is not a size (e.g. 512m, 2g)."
        : MaxCpus < 0 ? "MaxCpus must be 0 or more."
        : null;
}

/// <summary>A quota that does not read stops the worker at start, with the entry and field named.</summary>
public sealed class SystemQuotaOptionsValidator : IValidateOptions<SystemQuotaOptions>
{
    public ValidateOptionsResult Validate(string? name, SystemQuotaOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
