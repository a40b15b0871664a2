using Messaging.ServiceDefaults.Telemetry;
using Messaging.State;
using Messaging.State.Reservations;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Messaging.Worker.Telemetry;

public static class TelemetrySetup
{
    /// <summary>
    /// The worker's own spans and metrics, beside MassTransit's (<c>AddServiceDefaults</c>, which also exports
    /// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set); a Prometheus scrape listener when
    /// <c>Metrics:PrometheusPort</c> is set (<see cref="PrometheusListener"/>).
    /// </summary>
    public static IHostApplicationBuilder AddWorkerTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WorkerTelemetry>();
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(WorkerTelemetry.Name).AddSource(StateTelemetry.Name))
            .WithMetrics(metrics => metrics.AddMeter(WorkerTelemetry.Name).AddPrometheusListenerIfConfigured(builder.Configuration));
        builder.Services.AddHostedService<FreePortsGauge>();
        return builder;
    }

    /// <summary>Registers the free-ports gauge once the services exist.</summary>
    private sealed class FreePortsGauge(WorkerTelemetry telemetry, PortReservations reservations, IOptions<PortRangeOptions> range) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var size = range.Value.Max - range.Value.Min + 1;
            telemetry.ObserveFreePorts(() =>
            {
                try
                {
                    return size - reservations.CountHeld();
                }
                catch (RedisException)
                {
                    return -1;
                }
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
