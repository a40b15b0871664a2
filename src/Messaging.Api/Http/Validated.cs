using System.Reflection;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Messaging.Api.Http;

/// <summary>
/// A JSON request body of type <typeparamref name="T"/>. Binding reads it by the strict rules of <see cref="JsonBody"/>;
/// <see cref="ValidationFilter"/> then answers for it (415, 413, 400) unless it is well-formed and its validator
/// approves it. A handler that takes one therefore only ever sees a valid <see cref="Value"/>.
/// </summary>
public sealed class Validated<T> : IValidatedBody, IBindableFromHttpContext<Validated<T>>, IEndpointParameterMetadataProvider
    where T : class
{
    private readonly T? _value;
    private readonly ProblemHttpResult? _readProblem;
    private bool _approved;

    private Validated(T? value, ProblemHttpResult? readProblem)
    {
        _value = value;
        _readProblem = readProblem;
    }

    /// <summary>The body; throws when no <see cref="ValidationFilter"/> approved it, so a missing filter fails loudly, not open.</summary>
    public T Value => _approved
        ? _value!
        : throw new InvalidOperationException($"The {typeof(T).Name} body was not validated: map the endpoint in a group that has WithRequestValidation().");

    ProblemHttpResult? IValidatedBody.ReadProblem => _readProblem;

    Task<ValidationResult> IValidatedBody.ValidateWithAsync(IValidator validator, CancellationToken cancellationToken) =>
        ((IValidator<T>)validator).ValidateAsync(_value!, cancellationToken);

    void IValidatedBody.Approve() => _approved = true;

    public static async ValueTask<Validated<T>?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var (value, problem) = await JsonBody.ReadAsync<T>(context.Request);
        return new Validated<T>(value, problem);
    }

    /// <summary>What a body parameter means for the OpenAPI document: the JSON it accepts and the problems it may cause.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        builder.Metadata.Add(new AcceptsMetadata(["application/json"], typeof(T)));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), ["application/problem+json"]));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status413PayloadTooLarge, typeof(ProblemDetails), ["application/problem+json"]));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status415UnsupportedMediaType, typeof(ProblemDetails), ["application/problem+json"]));
    }
}

/// <summary>What <see cref="ValidationFilter"/> needs of a <see cref="Validated{T}"/> without knowing its <c>T</c>.</summary>
internal interface IValidatedBody
{
    /// <summary>Why the body could not be read (415, 413, 400), or null when it was.</summary>
    ProblemHttpResult? ReadProblem { get; }

    Task<ValidationResult> ValidateWithAsync(IValidator validator, CancellationToken cancellationToken);

    void Approve();
}
