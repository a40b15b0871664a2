namespace Messaging.Api.Http;

/// <summary>What every call under <c>/api/v1</c> shares, set once on the root group (davidfowl/TodoApi's way).</summary>
public static class ApiRoutes
{
    /// <summary>
    /// The <c>/api/v1</c> group: a valid bearer token (each feature group then names the scope it needs), the
    /// per-token rate limit, request validation, and the problems any call may answer: 401 (no or bad token),
    /// 403 (scope), 429 (rate) and 503 (Redis or broker down).
    /// </summary>
    public static RouteGroupBuilder MapApiV1(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization()
            .RequireRateLimiting(RateLimiting.PerToken)
            .WithRequestValidation();
        api.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }
}
