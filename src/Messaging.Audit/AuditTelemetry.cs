using System.Diagnostics;
using Messaging.Audit.Notifications;
using Messaging.ServiceDefaults.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Messaging.Audit;

/// <summary>
/// The audit host's own spans, inside MassTransit's consume spans: the append to the trail and each webhook
/// delivery (with its attempts), so a trace that starts at the API's request ends where its record and its
/// deliveries do. Its meter (<see cref="WebhookMetrics"/>) is scraped at <c>/metrics</c> on <c>Metrics:PrometheusPort</c>.
/// </summary>
public static class AuditTelemetry
{
    public const string Name = "Messaging.Audit";

    public static readonly ActivitySource Source = new(Name);

    public static IHostApplicationBuilder AddAuditTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WebhookMetrics>();
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(Name))
            .WithMetrics(metrics => metrics.AddMeter(Name).AddPrometheusListenerIfConfigured(builder.Configuration));
        return builder;
    }
}
