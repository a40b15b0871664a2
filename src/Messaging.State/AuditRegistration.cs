using Messaging.State.Audit;
using Messaging.State.Webhooks;
using Messaging.Validation.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.State;

public static class AuditRegistration
{
    /// <summary>
    /// Registers the audit trail and the webhook subscriptions (stores, retention and webhook options, the
    /// address policy). Call after <see cref="RedisRegistration.AddServiceRecords"/>.
    /// </summary>
    public static IServiceCollection AddAuditRecords(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuditStore>();
        services.AddSingleton<WebhookStore>();
        services.AddSingleton<WebhookAddressPolicy>();
        return services;
    }
}
