using FluentValidation;
using Messaging.Validation;

namespace Messaging.Api.Stacks;

/// <summary>Body of <c>POST /api/v1/stacks</c>: the stack's name and its compose file (docs/STACKS.md), as text.</summary>
public sealed record CreateStackRequest
{
    public string? Name { get; init; }
    public string? ComposeFile { get; init; }
    /// <summary>When a member fails to start, keep the members that started instead of rolling the stack back.</summary>
    public bool? KeepStartedOnFailure { get; init; }
}

public sealed class CreateStackRequestValidator : AbstractValidator<CreateStackRequest>
{
    public CreateStackRequestValidator()
    {
        RuleFor(r => r.Name).MustBeServiceName();
        RuleFor(r => r.ComposeFile).NotEmpty().WithMessage("must hold the stack's compose file.");
    }
}
