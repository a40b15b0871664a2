using FluentValidation;
using Messaging.Validation;

namespace Messaging.Api.Tokens;

/// <summary>Body of <c>POST /api/v1/tokens</c>.</summary>
public sealed record CreateTokenRequest
{
    public string? Name { get; init; }
    public IReadOnlyList<string>? Scopes { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public int? MaxServices { get; init; }
    public string? MaxMemory { get; init; }
    public double? MaxCpus { get; init; }

    /// <summary>No quota at all; without it, limits left out get <see cref="DefaultQuotaOptions"/>.</summary>
    public bool? UnlimitedQuota { get; init; }
}

public sealed class CreateTokenRequestValidator : AbstractValidator<CreateTokenRequest>
{
    public CreateTokenRequestValidator(TimeProvider clock)
    {
        RuleFor(r => r.Name).NotEmpty().WithMessage("is required.")
            .Matches(@"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}\z").WithMessage("must be 1-64 letters, digits, spaces or ._-");
        RuleFor(r => r.Scopes).NotEmpty().WithMessage("must name at least one scope.")
            .Must(scopes => scopes is null || scopes.All(Scopes.All.Contains))
            .WithMessage($"may only contain {string.Join(", ", Scopes.All)}.");
        RuleFor(r => r.ExpiresAt).Must(at => at is null || at > clock.GetUtcNow()).WithMessage("must be in the future.");
        RuleFor(r => r.MaxServices).InclusiveBetween(1, 10_000).When(r => r.MaxServices is not null);
        RuleFor(r => r.MaxMemory).Must(m => m is null || MemorySize.TryParseLimit(m, out _))
            .WithMessage("must be a memory size such as 2g.");
        RuleFor(r => r.MaxCpus).Must(c => c is null || (double.IsFinite(c.Value) && c >= ServiceRules.MinCpus && c <= 1024))
            .WithMessage("must be a number of cores from 0.01 to 1024.");
        RuleFor(r => r.UnlimitedQuota).Must((r, unlimited) => unlimited != true || (r.MaxServices, r.MaxMemory, r.MaxCpus) == (null, null, null))
            .WithMessage("cannot be combined with max_services, max_memory or max_cpus.");
    }
}
