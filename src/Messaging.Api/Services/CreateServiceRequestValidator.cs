using FluentValidation;
using Messaging.Validation;

namespace Messaging.Api.Services;

/// <summary>The same rules the worker applies to the command (<see cref="CreateServiceCommandValidator"/>).</summary>
public sealed class CreateServiceRequestValidator : AbstractValidator<CreateServiceRequest>
{
    public CreateServiceRequestValidator()
    {
        RuleFor(r => r.ServiceName).MustBeServiceName();
        RuleFor(r => r.Image).MustBeImageReference();
        RuleFor(r => r.MemoryLimit).MustBeMemoryLimitWhenPresent();
        RuleFor(r => r.CpuLimit).MustBeCpuLimitWhenPresent();
        RuleFor(r => r.InternalPort).MustBePortWhenPresent();
        RuleFor(r => r.Env).MustBeEnvironment();
        RuleFor(r => r.Restart).MustBeRestartPolicyWhenPresent();
        RuleFor(r => r.MaxRestarts).MustBeMaxRestartsWhenPresent();
        RuleFor(r => r.OnUnhealthy).MustBeUnhealthyActionWhenPresent();
    }
}
