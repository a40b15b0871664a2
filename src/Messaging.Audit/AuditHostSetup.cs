using MassTransit;
using Messaging.ServiceDefaults;
using Messaging.ServiceDefaults.Bus;
using Messaging.Audit.Notifications;
using Messaging.Audit.Trail;
using Messaging.State;
using Messaging.Validation.Webhooks;

namespace Messaging.Audit;

public static class AuditHostSetup
{
    /// <summary>Everything the audit host runs: the host defaults, the trail and webhook stores, the webhook HTTP client, the bus.</summary>
    public static IHostApplicationBuilder AddAuditHost(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // No port to ask: readiness (broker and Redis) goes to the file Health:File every 15 s,
        // $TMPDIR/messaging-audit.health by default, for container healthchecks.
        builder.AddServiceDefaults("messaging-audit", healthFile: true);
        builder.AddAuditTelemetry();
        services.AddAuditRecords();
        services.AddSingleton<AuditRecorder>();
        services.AddOptions<WebhookDeliveryOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebhookRetrySchedule>();
        services.AddSingleton<WebhookSender>();
        services.AddWebhookHttpClient();

        // Durable and replicated like the worker's queues: nothing is lost while this host is down.
        builder.AddMessagingBus(bus =>
        {
            bus.AddAuditConsumers();
            bus.AddWebhookConsumers();
        }, (_, cfg) => cfg.NameBusEndpoint("audit"));
        return builder;
    }
}
