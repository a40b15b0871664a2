using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Messaging.Api.Telemetry;

public static class ApiTelemetry
{
    /// <summary>
    /// The web host's part of the telemetry, beside MassTransit's from <c>AddServiceDefaults</c> (whose publishes
    /// carry the trace to the worker and the audit host, so one creation is one trace): request spans and
    /// metrics, the latter scraped at <c>/metrics</c> (<see cref="DefaultEndpoints.MapDefaultEndpoints"/>).
    /// </summary>
    public static WebApplicationBuilder AddApiTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation(options =>
                options.Filter = context => !context.Request.Path.StartsWithSegments(DefaultEndpoints.Health)
                                            && !context.Request.Path.StartsWithSegments(DefaultEndpoints.Metrics)))
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter());
        return builder;
    }
}
