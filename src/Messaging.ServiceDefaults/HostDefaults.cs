using Messaging.ServiceDefaults.Health;
using Messaging.ServiceDefaults.Memory;
using Messaging.ServiceDefaults.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;

namespace Messaging.ServiceDefaults;

/// <summary>What every host wires the same way. The bus is separate (<see cref="MessagingBus.AddMessagingBus"/>):
/// each host names its own consumers and endpoints.</summary>
public static class HostDefaults
{
    /// <summary>
    /// The clock, JSON console logs, OpenTelemetry (traces and metrics, MassTransit's included, OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), the Redis connection with its readiness check and the state
    /// module, health checks, and the <see cref="IdleMemoryTrimmer"/> that gives a burst's memory back when idle.
    /// </summary>
    /// <param name="builder">The host's builder.</param>
    /// <param name="serviceName">The process's name in traces and metrics, e.g. <c>messaging-worker</c>; also
    /// names its default health file.</param>
    /// <param name="healthFile">Whether readiness goes to a file (<c>Health:File</c>, by default
    /// <c>$TMPDIR/{serviceName}.health</c>) for container healthchecks: for hosts that open no port. The API
    /// answers <c>/health/*</c> instead.</param>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string serviceName, bool healthFile)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddJsonConsoleLogs();
        builder.AddTelemetryDefaults(serviceName);
        services.AddRedisState();
        services.AddHealthChecks();
        services.AddHostedService<IdleMemoryTrimmer>();
        if (healthFile)
            services.AddHealthFile($"{serviceName}.health");
        return builder;
    }

    /// <summary>
    /// One JSON object per line; scopes carry ServiceId, CommandId, TraceId and SpanId. Configures the console
    /// logger without adding it, so a host that cleared the providers (the benchmark's in-process parts) stays quiet.
    /// </summary>
    private static void AddJsonConsoleLogs(this IServiceCollection services)
    {
        services.Configure<ConsoleLoggerOptions>(console => console.FormatterName = ConsoleFormatterNames.Json);
        services.Configure<JsonConsoleFormatterOptions>(json =>
        {
            json.IncludeScopes = true;
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
    }
}
