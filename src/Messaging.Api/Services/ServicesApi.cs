using Messaging.Api.Auth;

namespace Messaging.Api.Services;

public static class ServicesApi
{
    public static RouteGroupBuilder MapServicesApi(this IEndpointRouteBuilder app)
    {
        // Every call may answer 401 (no or bad token), 403 (scope), 429 (rate) and 503 (Redis or broker down).
        var group = app.MapGroup("/api/v1/services").WithTags("Services")
            .ProducesProblem(401).ProducesProblem(403).ProducesProblem(429).ProducesProblem(503);

        group.MapPost("/", CreateServiceEndpoint.Handle)
            .RequireAuthorization(Scopes.ServicesWrite)
            .Accepts<CreateServiceRequest>("application/json")
            .WithName("CreateService")
            .WithSummary("Ask for a container; answered once the broker has the command.")
            .ProducesValidationProblem().ProducesProblem(409).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);
        group.MapGet("/", ReadEndpoints.List)
            .RequireAuthorization(Scopes.ServicesRead)
            .WithName("ListServices")
            .WithSummary("The caller's services (everyone's for admin), oldest first, paged.")
            .ProducesProblem(400);
        group.MapGet("/{serviceId:guid}", ReadEndpoints.Get)
            .RequireAuthorization(Scopes.ServicesRead)
            .WithName("GetService")
            .WithSummary("One service record.")
            .ProducesProblem(404);
        group.MapGet("/{serviceId:guid}/logs", LogsEndpoint.Handle)
            .RequireAuthorization(Scopes.ServicesRead)
            .WithName("GetServiceLogs")
            .WithSummary("The last lines the container wrote, fetched from the worker over the bus.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(504);

        group.MapPost("/{serviceId:guid}/stop", LifecycleEndpoints.Stop)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("StopService").WithSummary("Stop a running service.")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{serviceId:guid}/start", LifecycleEndpoints.Start)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("StartService").WithSummary("Start a stopped service.")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{serviceId:guid}/restart", LifecycleEndpoints.Restart)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("RestartService").WithSummary("Restart a service.")
            .ProducesProblem(404).ProducesProblem(409);
        group.MapDelete("/{serviceId:guid}", LifecycleEndpoints.Remove)
            .RequireAuthorization(Scopes.ServicesWrite).WithName("RemoveService").WithSummary("Remove a service; its port and name are freed once the container is gone.")
            .ProducesProblem(404).ProducesProblem(409);
        return group;
    }
}
