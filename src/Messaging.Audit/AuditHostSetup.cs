using Messaging.ServiceDefaults;
using MassTransit;
using Messaging.Audit.Notifications;
using Messaging.Audit.Trail;
using Messaging.State;
using Messaging.ServiceDefaults.Health;

namespace Messaging.Audit;

public static class AuditHostSetup
{
    /// <summary>Everything the audit host runs: Redis, the trail and webhook stores, the webhook HTTP client, the bus, the health file.</summary>
    public static IHostApplicationBuilder AddAuditHost(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddRedisState();
        services.AddAuditRecords();
        services.AddSingleton<AuditRecorder>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddWebhookHttpClient();
        // No port to ask: readiness (broker and Redis) goes to the file Health:File every 15 s,
        // $TMPDIR/messaging-audit.health by default, for container healthchecks.
        services.AddHealthFile("messaging-audit.health");

        services.AddOptions<RabbitMqTransportOptions>().BindConfiguration("RabbitMq");
        services.AddMassTransit(bus =>
        {
            bus.AddConsumer<AuditConsumer, AuditConsumerDefinition>();
            bus.AddConsumer<WebhookConsumer, WebhookConsumerDefinition>();
            // Durable and replicated like the worker's queues: nothing is lost while this host is down.
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                    rabbit.SetQuorumQueue();
            });
            bus.UsingRabbitMq((context, cfg) => cfg.ConfigureEndpoints(context));
        });
        return builder;
    }
}
