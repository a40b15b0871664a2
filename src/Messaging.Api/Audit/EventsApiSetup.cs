using Messaging.Api.Audit;
using Messaging.Api.LiveEvents;
using Messaging.Api.Webhooks;
using Messaging.State;
using Messaging.State.Audit;

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
        services.AddOptions<LiveEventsOptions>().BindConfiguration(LiveEventsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LiveStreamSlots>();
        return services;
    }

    /// <summary>Maps the audit trail, the live events and webhook subscriptions on the <c>/api/v1</c> group.</summary>
    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        var readers = api.MapGroup("").WithTags("Audit").RequireAuthorization(Scopes.ServicesRead);
        readers.MapGet("/services/{serviceId:guid}/events", AuditEndpoints.ServiceEvents)
            .WithName("GetServiceEvents").WithSummary("One service's commands and events, oldest first, paged.")
            .ProducesProblem(400).ProducesProblem(404);
        readers.MapGet("/stacks/{stackId:guid}/events", AuditEndpoints.StackEvents)
            .WithName("GetStackEvents").WithSummary("One stack's own commands and events (CreateStack, StackCreated...), oldest first, paged.")
            .ProducesProblem(400).ProducesProblem(404);
        readers.MapGet("/events", LiveEventsEndpoint.Handle)
            .WithName("LiveEvents").WithSummary("Server-Sent Events of the caller's services (admin: all); resumes after Last-Event-ID.")
            .ProducesProblem(400);

        api.MapGroup("").WithTags("Audit").RequireAuthorization(Scopes.ImagesBuild)
            .MapGet("/builds/{buildId:guid}/events", AuditEndpoints.BuildEvents)
            .WithName("GetBuildEvents").WithSummary("One build's command and outcome (BuildImage, ImageBuilt/ImageBuildFailed), oldest first, paged.")
            .ProducesProblem(400).ProducesProblem(404);

        var admins = api.MapGroup("/audit").WithTags("Audit").RequireAuthorization(Scopes.Admin);
        admins.MapGet("/", AuditEndpoints.Query)
            .WithName("QueryAudit").WithSummary("The audit trail, oldest first, filtered by since, actor and type, paged.")
            .ProducesProblem(400);

        api.MapWebhooksApi();
        return api;
    }
}
