using Microsoft.AspNetCore.Diagnostics;
using StackExchange.Redis;

namespace Messaging.Api.Http;

/// <summary>A Redis outage is the service being unavailable, not a bug: 503 problem details.</summary>
public sealed class DependencyFailureHandler(IProblemDetailsService problems, ILogger<DependencyFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (RedisException or RedisTimeoutException or RedisConnectionException))
            return false;
        logger.LogWarning("Redis unavailable: {Message}", exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = Problems.StateStoreUnavailable(),
        });
    }
}
