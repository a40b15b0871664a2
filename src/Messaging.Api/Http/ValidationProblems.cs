using System.Text.Json;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Api.Http;

public static class ValidationProblems
{
    /// <summary>A 400 whose <c>errors</c> are keyed by the snake_case field names the client sent.</summary>
    public static ValidationProblem From(ValidationResult validation) =>
        TypedResults.ValidationProblem(validation.Errors
            .GroupBy(e => JsonNamingPolicy.SnakeCaseLower.ConvertName(e.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(e => $"{g.Key} {e.ErrorMessage}").ToArray()));
}
