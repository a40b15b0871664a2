using MassTransit.Logging;
using MassTransit.Monitoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Messaging.ServiceDefaults.Telemetry;

public static class TelemetryDefaults
{
    /// <summary>The variable that switches OTLP export on (the standard one of the OpenTelemetry SDKs).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Traces and metrics of MassTransit under the process's name. MassTransit carries the trace context in every
    /// message's headers, so a request to the API, the worker's consume and the audit host's append are one trace.
    /// Hosts add their own sources and meters (<c>AddOpenTelemetry().WithTracing(...)</c> again adds to the same
    /// provider) and their scrape endpoints.
    /// </summary>
    public static IHostApplicationBuilder AddTelemetryDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        var otlp = !string.IsNullOrEmpty(builder.Configuration[OtlpEndpointVariable]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(DiagnosticHeaders.DefaultListenerName);
                if (otlp)
                    tracing.AddOtlpExporter();
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(InstrumentationOptions.MeterName);
                if (otlp)
                    metrics.AddOtlpExporter();
            });
        return builder;
    }
}
