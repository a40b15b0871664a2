using Messaging.Api.Auth;

namespace Messaging.Api.Services;

public static class ServicesApi
{
    public static RouteGroupBuilder MapServicesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/services").WithTags("Services");

        group.MapPost("/", CreateServiceEndpoint.Handle)
            .RequireAuthorization(Scopes.ServicesWrite)
            .Accepts<CreateServiceRequest>("application/json")
            .WithName("CreateService")
            .WithSummary("Ask for a container; answered once the broker has the command.");
        group.MapGet("/", ReadEndpoints.List)
            .RequireAuthorization(Scopes.ServicesRead)
            .WithName("ListServices")
            .WithSummary("The caller's services (everyone's for admin), oldest first, paged.");
        group.MapGet("/{serviceId:guid}", ReadEndpoints.Get)
            .RequireAuthorization(Scopes.ServicesRead)
            .WithName("GetService")
            .WithSummary("One service record.");
        group.MapGet("/{serviceId:guid}/logs", LogsEndpoint.Handle)
            .RequireAuthorization(Scopes.ServicesRead)
            .WithName("GetServiceLogs")
            .WithSummary("The last lines the container wrote, fetched from the worker over the bus.");

        group.MapPost("/{serviceId:guid}/stop", LifecycleEndpoints.Stop)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("StopService").WithSummary("Stop a running service.");
        group.MapPost("/{serviceId:guid}/start", LifecycleEndpoints.Start)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("StartService").WithSummary("Start a stopped service.");
        group.MapPost("/{serviceId:guid}/restart", LifecycleEndpoints.Restart)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("RestartService").WithSummary("Restart a service.");
        group.MapDelete("/{serviceId:guid}", LifecycleEndpoints.Remove)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("RemoveService").WithSummary("Remove a service; its port and name are freed once the container is gone.");
        return group;
    }
}
