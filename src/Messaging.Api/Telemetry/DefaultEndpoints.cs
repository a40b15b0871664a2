using Messaging.ServiceDefaults.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Messaging.Api.Telemetry;

/// <summary>
/// The web host's half of the host defaults (eShop's <c>MapDefaultEndpoints</c>). It lives here, not in
/// Messaging.ServiceDefaults, because the worker's and audit host's images carry no ASP.NET Core runtime.
/// </summary>
public static class DefaultEndpoints
{
    public const string Health = "/health";
    public const string Metrics = "/metrics";

    /// <summary>
    /// Liveness (<c>/health/live</c>: the process answers), readiness (<c>/health/ready</c>: the checks tagged
    /// <see cref="HealthTags.Ready"/>, the broker and Redis; 503 while either is down), and the Prometheus scrape
    /// (<c>/metrics</c>, for a token with <see cref="Scopes.MetricsRead"/>). Health needs no token.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks($"{Health}/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks($"{Health}/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Ready) });
        // Metrics name owners' services and reveal load: on the public port, only for a token with metrics:read.
        app.MapPrometheusScrapingEndpoint(Metrics).RequireAuthorization(Scopes.MetricsRead);
        return app;
    }
}
