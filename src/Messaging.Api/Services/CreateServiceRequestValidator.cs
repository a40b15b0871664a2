using FluentValidation;
using Messaging.Stacks.Templates;
using Messaging.Validation;

namespace Messaging.Api.Services;

/// <summary>The same rules the worker applies to the command (<see cref="CreateServiceCommandValidator"/>).</summary>
public sealed class CreateServiceRequestValidator : AbstractValidator<CreateServiceRequest>
{
    public CreateServiceRequestValidator()
    {
        RuleFor(r => r.ServiceName).MustBeServiceName();
        When(r => r.Template is null, () =>
        {
            RuleFor(r => r.Image).MustBeImageReference();
            RuleFor(r => r.MemoryLimit).MustBeMemoryLimitWhenPresent();
            RuleFor(r => r.CpuLimit).MustBeCpuLimitWhenPresent();
            RuleFor(r => r.InternalPort).MustBePortWhenPresent();
            RuleFor(r => r.Env).MustBeEnvironment();
            RuleFor(r => r.Version).Null().WithMessage("is given only with a template.");
            RuleFor(r => r.Params).Null().WithMessage("are given only with a template.");
        }).Otherwise(() =>
        {
            // The template says what runs; a body mixing both would leave the reader guessing which wins.
            RuleFor(r => r.Template).Must(name => ServiceRules.ServiceNamePattern().IsMatch(name!)).WithMessage("must name a template of the catalogue.");
            RuleFor(r => r.Image).Null().WithMessage("comes from the template.");
            RuleFor(r => r.MemoryLimit).Null().WithMessage("comes from the template.");
            RuleFor(r => r.CpuLimit).Null().WithMessage("comes from the template.");
            RuleFor(r => r.InternalPort).Null().WithMessage("comes from the template.");
            RuleFor(r => r.Env).Null().WithMessage("comes from the template (use params).");
            RuleFor(r => r.Version).Must(v => v is null or >= 1).WithMessage("must be 1 or more.");
            RuleFor(r => r.Params)
                .Must(p => p is null || p.Count <= StackTemplate.MaxParameters).WithMessage($"may have at most {StackTemplate.MaxParameters} entries.")
                .Must(p => p is null || p.All(e => e.Key.Length <= 64 && e.Value is not null && e.Value.Length <= ParameterValues.MaxStringLength))
                .WithMessage($"names are at most 64 characters, values strings of at most {ParameterValues.MaxStringLength}.");
        });
        RuleFor(r => r.Restart).MustBeRestartPolicyWhenPresent();
        RuleFor(r => r.MaxRestarts).MustBeMaxRestartsWhenPresent();
        RuleFor(r => r.OnUnhealthy).MustBeUnhealthyActionWhenPresent();
    }
}
