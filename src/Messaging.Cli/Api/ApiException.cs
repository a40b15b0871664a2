namespace Messaging.Cli.Api;

/// <summary>The API answered with an error status; <see cref="Problem"/> is its problem details.</summary>
internal sealed class ApiException(int statusCode, ProblemDetails problem)
    : Exception($"{problem.Title ?? $"HTTP {statusCode}"}: {problem.Detail}")
{
    public int StatusCode { get; } = statusCode;
    public ProblemDetails Problem { get; } = problem;
}
