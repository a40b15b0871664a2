using FluentValidation;
using Messaging.Validation;

namespace Messaging.Api.Stacks;

/// <summary>
/// Body of <c>POST /api/v1/stacks</c>: the stack's name and either its compose file (docs/STACKS.md), as text, or a
/// <c>template</c> of the catalogue with its <c>version</c> (newest when absent) and <c>params</c>.
/// </summary>
public sealed record CreateStackRequest
{
    public string? Name { get; init; }
    public string? ComposeFile { get; init; }
    public string? Template { get; init; }
    public int? Version { get; init; }
    public IReadOnlyDictionary<string, string>? Params { get; init; }
    /// <summary>When a member fails to start, keep the members that started instead of rolling the stack back.</summary>
    public bool? KeepStartedOnFailure { get; init; }
}

public sealed class CreateStackRequestValidator : AbstractValidator<CreateStackRequest>
{
    public CreateStackRequestValidator()
    {
        RuleFor(r => r.Name).MustBeServiceName();
        When(r => r.Template is null, () =>
        {
            RuleFor(r => r.ComposeFile).NotEmpty().WithMessage("must hold the stack's compose file (or name a template).");
            RuleFor(r => r.Version).Null().WithMessage("is given only with a template.");
            RuleFor(r => r.Params).Null().WithMessage("are given only with a template.");
        }).Otherwise(() =>
        {
            RuleFor(r => r.Template).Must(name => ServiceRules.ServiceNamePattern().IsMatch(name!)).WithMessage("must name a template of the catalogue.");
            RuleFor(r => r.ComposeFile).Null().WithMessage("comes from the template.");
        });
    }
}
