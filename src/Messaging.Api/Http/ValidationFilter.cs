using FluentValidation;

namespace Messaging.Api.Http;

/// <summary>
/// Request validation as an endpoint filter, set once on a route group: for an endpoint whose handler takes a
/// <see cref="Validated{T}"/>, the body's read problem or its validator's errors are answered before the handler
/// runs. Endpoints without a body are left as they are.
/// </summary>
public static class ValidationFilter
{
    public static TBuilder WithRequestValidation<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory(Create);

    private static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var parameters = context.MethodInfo.GetParameters();
        var index = Array.FindIndex(parameters, p => p.ParameterType.IsAssignableTo(typeof(IValidatedBody)));
        if (index < 0)
            return next;

        // Resolved when the endpoint is built: a body type without a validator is a bug to find at the first request, not to let through.
        var bodyType = parameters[index].ParameterType.GetGenericArguments()[0];
        var validator = context.ApplicationServices.GetService(typeof(IValidator<>).MakeGenericType(bodyType)) as IValidator
            ?? throw new InvalidOperationException($"{context.MethodInfo.Name} takes a {bodyType.Name} body but no IValidator<{bodyType.Name}> is registered.");

        return async invocation =>
        {
            var body = invocation.GetArgument<IValidatedBody>(index);
            if (body.ReadProblem is { } unreadable)
                return unreadable;
            var validation = await body.ValidateWithAsync(validator, invocation.HttpContext.RequestAborted);
            if (!validation.IsValid)
                return Problems.Validation(validation);
            body.Approve();
            return await next(invocation);
        };
    }
}
