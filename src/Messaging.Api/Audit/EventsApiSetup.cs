using Messaging.Api.Audit;
using Messaging.Api.Auth;
using Messaging.Api.Http;
using Messaging.Api.LiveEvents;
using Messaging.Api.Webhooks;
using Messaging.State;

// In the root namespace, beside ApiSetup, so that ApiSetup needs no extra using for its two calls.
namespace Messaging.Api;

/// <summary>
/// The API side of the events for other systems: the audit trail (<c>/services/{id}/events</c>,
/// <c>/audit</c>), the live stream (<c>/events</c>) and webhook subscriptions (<c>/webhooks</c>). The audit
/// host writes the trail and makes the deliveries; the API only reads the trail and keeps subscriptions.
/// </summary>
public static class EventsApiSetup
{
    /// <summary>Registers the audit and webhook stores and the live stream's wake-up signal. Needs <c>AddServiceRecords</c>.</summary>
    public static IServiceCollection AddEventsApi(this IServiceCollection services)
    {
        services.AddAuditRecords();
        services.AddSingleton<AuditAppendedSignal>();
        return services;
    }

    /// <summary>Maps the audit, live event and webhook endpoints, rate limited per token like the rest.</summary>
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/services/{serviceId:guid}/events", AuditEndpoints.ServiceEvents)
            .RequireAuthorization(Scopes.ServicesRead).RequireRateLimiting(RateLimiting.PerToken).WithTags("Audit")
            .WithName("GetServiceEvents").WithSummary("One service's commands and events, oldest first, paged.");
        app.MapGet("/api/v1/audit", AuditEndpoints.Query)
            .RequireAuthorization(Scopes.Admin).RequireRateLimiting(RateLimiting.PerToken).WithTags("Audit")
            .WithName("QueryAudit").WithSummary("The audit trail, oldest first, filtered by since, actor and type, paged.");
        app.MapGet("/api/v1/events", LiveEventsEndpoint.Handle)
            .RequireAuthorization(Scopes.ServicesRead).RequireRateLimiting(RateLimiting.PerToken).WithTags("Audit")
            .WithName("LiveEvents").WithSummary("Server-Sent Events of the caller's services (admin: all); resumes after Last-Event-ID.");
        app.MapWebhooksApi().RequireRateLimiting(RateLimiting.PerToken);
        return app;
    }
}
