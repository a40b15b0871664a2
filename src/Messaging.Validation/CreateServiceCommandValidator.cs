using FluentValidation;
using Messaging.Contracts;

namespace Messaging.Validation;

/// <summary>Shape of a <see cref="CreateService"/> command, whoever published it.</summary>
public sealed class CreateServiceCommandValidator : AbstractValidator<CreateService>
{
    public CreateServiceCommandValidator()
    {
        RuleFor(c => c.CommandId).NotEmpty();
        RuleFor(c => c.ServiceId).NotEmpty();
        RuleFor(c => c.ServiceName).MustBeServiceName();
        RuleFor(c => c.Image).MustBeImageReference();
        RuleFor(c => c.MemoryLimit).MustBeMemoryLimitWhenPresent();
        RuleFor(c => c.CpuLimit).MustBeCpuLimitWhenPresent();
        RuleFor(c => c.InternalPort).MustBePortWhenPresent();
        RuleFor(c => c.Env).MustBeEnvironment();
        RuleFor(c => c.Restart).MustBeRestartPolicyWhenPresent();
        RuleFor(c => c.MaxRestarts).MustBeMaxRestartsWhenPresent();
        RuleFor(c => c.OnUnhealthy).MustBeUnhealthyActionWhenPresent();
        RuleFor(c => c.RequestedBy)
            .Must(by => by is not null && ServiceRules.RequesterPattern().IsMatch(by))
            .WithMessage("must name the requester (letters, digits and ._:@-, at most 128 characters).");
    }
}
