using System.Text.Json;
using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;

namespace Messaging.Api.Http;

/// <summary>
/// Every problem the API answers (RFC 9457), in one place: its status, its title and the wording of its
/// detail. Clients (the CLI among them) show the title, so a title is part of the contract. The <c>type</c> is
/// left to ASP.NET Core, which fills in the RFC 9110 section of the status; <c>traceId</c> is added by the
/// problem details service on the way out.
/// </summary>
public static class Problems
{
    // The request body (Http/JsonBody.cs) and its validation (Http/ValidationFilter.cs).

    public static ProblemHttpResult UnsupportedMediaType() =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json.");

    public static ProblemHttpResult BodyTooLarge(int maxBytes) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body may be at most {maxBytes / 1024} KiB.");

    public static ProblemHttpResult InvalidBody(string detail) =>
        Problem(StatusCodes.Status400BadRequest, "Invalid body", detail);

    /// <summary>A 400 whose <c>errors</c> are keyed by the snake_case field names the client sent.</summary>
    public static ValidationProblem Validation(ValidationResult validation) =>
        TypedResults.ValidationProblem(validation.Errors
            .GroupBy(e => JsonNamingPolicy.SnakeCaseLower.ConvertName(e.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(e => $"{g.Key} {e.ErrorMessage}").ToArray()));

    /// <summary>A query parameter or header out of its range or form (Http/QueryChecks.cs); the title names it.</summary>
    public static ProblemHttpResult InvalidParameter(string name, string detail) =>
        Problem(StatusCodes.Status400BadRequest, $"Invalid {name}", detail);

    // What the request is about.

    public static ProblemHttpResult ServiceNotFound(Guid serviceId) => NotFound($"No service {serviceId}.");

    public static ProblemHttpResult TemplateNotFound(string name, int? version) =>
        NotFound(version is null ? $"No template {name}." : $"No template {name} version {version}.");

    /// <summary>A template that cannot make what was asked: its params are wrong, or it is not one service. Keyed like a validation problem.</summary>
    public static ProblemHttpResult TemplateRefused(IReadOnlyCollection<(string Path, string Message)> problems) =>
        TypedResults.Problem(new HttpValidationProblemDetails(
            problems.GroupBy(p => p.Path).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()))
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Template refused",
            Detail = string.Join(" ", problems.Select(p => p.Path.Length == 0 ? p.Message : $"{p.Path}: {p.Message}")),
        });

    public static ProblemHttpResult StackNotFound(Guid stackId) => NotFound($"No stack {stackId}.");

    /// <summary>No build of that id that the caller may see (another owner's build answers the same).</summary>
    public static ProblemHttpResult BuildNotFound(Guid buildId) => NotFound($"No build {buildId}.");

    /// <summary>A compose file outside the subset (docs/STACKS.md); <c>errors</c> are keyed by the offending key's path.</summary>
    public static ProblemHttpResult StackFileRefused(IReadOnlyCollection<(string Path, string Message)> problems) =>
        TypedResults.Problem(new HttpValidationProblemDetails(
            problems.GroupBy(p => p.Path).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()))
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Stack file refused",
            Detail = string.Join(" ", problems.Select(p => p.Path.Length == 0 ? p.Message : $"{p.Path}: {p.Message}")),
        });

    /// <summary>A template name and version exist already: versions are immutable, a change is a new version.</summary>
    public static ProblemHttpResult TemplateVersionExists(string name, int version) =>
        Problem(StatusCodes.Status409Conflict, "Template version exists", $"{name} version {version} exists; templates never change: add version {version + 1}.");

    /// <summary>A template of the catalogue's files: the operator's, not deletable through the API.</summary>
    public static ProblemHttpResult TemplateIsAFile(string name, int version) =>
        Problem(StatusCodes.Status409Conflict, "Template is a file", $"{name} version {version} comes from Templates:Directory; remove the file instead.");

    public static ProblemHttpResult TokenNotFound(string id) => NotFound($"No token {id}.");

    public static ProblemHttpResult WebhookNotFound(string id) => NotFound($"No webhook {id}.");

    public static ProblemHttpResult NoLogs(string detail) => Problem(StatusCodes.Status404NotFound, "No logs", detail);

    public static ProblemHttpResult NoStats(string detail) => Problem(StatusCodes.Status404NotFound, "No stats", detail);

    /// <summary>A question only a running container can answer (its stats) about a service that is not running.</summary>
    public static ProblemHttpResult NotRunning(string detail) => Problem(StatusCodes.Status409Conflict, "Not running", detail);

    public static ProblemHttpResult WrongState(string command, string status) =>
        Problem(StatusCodes.Status409Conflict, "Wrong state", $"{command} does not apply to a service that is {status}.");

    public static ProblemHttpResult NameTaken(string name) =>
        Problem(StatusCodes.Status409Conflict, "Name taken", $"A service named '{name}' exists.");

    /// <summary>An extra hostname refused by the edge's policy (issue 15); <c>code</c> is the worker's reason code for the same refusal.</summary>
    public static ProblemHttpResult HostnameRefused(int status, string code, string detail)
    {
        var details = Details(status, status == StatusCodes.Status409Conflict ? "Hostname taken" : "Hostname not allowed", detail);
        details.Extensions["code"] = code;
        return TypedResults.Problem(details);
    }

    public static ProblemHttpResult ServiceExists(Guid serviceId) =>
        Problem(StatusCodes.Status409Conflict, "Service exists", $"A service with id {serviceId} exists.");

    public static ProblemHttpResult QuotaExceeded(string which) =>
        Problem(StatusCodes.Status429TooManyRequests, "Quota exceeded", $"This token's {which} quota would be exceeded.");

    // Idempotency-Key on create.

    public static ProblemHttpResult RequestInProgress() =>
        Problem(StatusCodes.Status409Conflict, "Request in progress", "A request with this Idempotency-Key is still being handled.");

    public static ProblemHttpResult IdempotencyKeyReused() =>
        Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused", "This Idempotency-Key was used with a different body.");

    // What the API depends on.

    /// <summary>The broker did not confirm the command; <paramref name="undone"/> when what was prepared for it was removed.</summary>
    public static ProblemHttpResult BrokerUnavailable(bool undone) =>
        Problem(StatusCodes.Status503ServiceUnavailable, "Broker unavailable", undone
            ? "The command could not be handed to the message broker; nothing was created. Try again."
            : "The command could not be handed to the message broker. Try again.");

    /// <summary>
    /// The broker was handed the create command but did not confirm it in time: it may still be carried out.
    /// The record stays <c>pending</c>; a worker's claim or the reconciler's expiry (<c>not_delivered</c>) settles it.
    /// </summary>
    public static ProblemHttpResult CreationOutcomeUnknown(Guid serviceId)
    {
        var details = Details(StatusCodes.Status503ServiceUnavailable, "Outcome unknown",
            $"The message broker did not confirm the command in time, so it may or may not be carried out. Service {serviceId} " +
            "stays pending: check it at the location given; it either starts or ends failed (not_delivered if no worker ever received it). " +
            "Do not send it again under a new Idempotency-Key.");
        details.Extensions["service_id"] = serviceId;
        details.Extensions["location"] = $"/api/v1/services/{serviceId}";
        return TypedResults.Problem(details);
    }

    public static ProblemHttpResult EngineUnavailable(string detail) =>
        Problem(StatusCodes.Status503ServiceUnavailable, "Engine unavailable", detail);

    /// <summary>A worker refused a question the API asked as itself (its broker user is not the one the worker takes for the API).</summary>
    public static ProblemHttpResult WorkerRefused(string detail) =>
        Problem(StatusCodes.Status502BadGateway, "Worker refused", detail);

    /// <summary>No worker answered a question about a service (<paramref name="what"/>: "log", "stats") in time.</summary>
    public static ProblemHttpResult WorkerDidNotAnswer(string what) =>
        Problem(StatusCodes.Status504GatewayTimeout, "Worker did not answer", $"No worker answered the {what} request in time.");

    // Written by middleware through IProblemDetailsService rather than returned by a handler.

    public static ProblemDetails Unauthorized() =>
        Details(StatusCodes.Status401Unauthorized, "Unauthorized", "A valid bearer token is required.");

    public static ProblemDetails Forbidden() =>
        Details(StatusCodes.Status403Forbidden, "Forbidden", "The token lacks the scope this call needs.");

    public static ProblemDetails TooManyRequests(string detail) =>
        Details(StatusCodes.Status429TooManyRequests, "Too many requests", detail);

    public static ProblemDetails StateStoreUnavailable() =>
        Details(StatusCodes.Status503ServiceUnavailable, "Service unavailable", "The state store is unreachable; try again shortly.");

    private static ProblemHttpResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    private static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(Details(status, title, detail));

    private static ProblemDetails Details(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
