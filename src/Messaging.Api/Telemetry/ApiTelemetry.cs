using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Messaging.Api.Telemetry;

public static class ApiTelemetry
{
    /// <summary>
    /// Traces of requests and of MassTransit's publishes (whose context travels to the worker, so one
    /// creation is one trace), request and bus metrics scraped at <c>/metrics</c>, and OTLP export when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    public static WebApplicationBuilder AddApiTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("messaging-api"))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation(options =>
                    options.Filter = context => !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics"));
                tracing.AddSource("MassTransit");
                if (otlp)
                    tracing.AddOtlpExporter();
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter("MassTransit").AddPrometheusExporter();
                if (otlp)
                    metrics.AddOtlpExporter();
            });
        return builder;
    }
}
