using Messaging.Contracts;

namespace Messaging.Api.Services;

public static class ServicesApi
{
    /// <summary>Maps <c>/services</c> on the <c>/api/v1</c> group: reading needs <c>services:read</c>, the rest <c>services:write</c>.</summary>
    public static RouteGroupBuilder MapServicesApi(this RouteGroupBuilder api)
    {
        var services = api.MapGroup("/services").WithTags("Services");
        var reads = services.MapGroup("").RequireAuthorization(Scopes.ServicesRead);
        var writes = services.MapGroup("").RequireAuthorization(Scopes.ServicesWrite);

        writes.MapPost("/", CreateServiceEndpoint.Handle)
            .WithName("CreateService")
            .WithSummary("Ask for a container; answered once the broker has the command.")
            .ProducesProblem(409).ProducesProblem(422);
        reads.MapGet("/", ReadEndpoints.List)
            .WithName("ListServices")
            .WithSummary("The caller's services (everyone's for admin), oldest first, paged.")
            .ProducesProblem(400);
        reads.MapGet("/{serviceId:guid}", ReadEndpoints.Get)
            .WithName("GetService")
            .WithSummary("One service record.")
            .ProducesProblem(404);
        reads.MapGet("/{serviceId:guid}/logs", LogsEndpoint.Handle)
            .WithName("GetServiceLogs")
            .WithSummary("The last lines the container wrote, fetched from the worker over the bus.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(504);
        reads.MapGet("/{serviceId:guid}/stats", StatsEndpoint.Handle)
            .WithName("GetServiceStats")
            .WithSummary("CPU, memory, network, block I/O and pids of a running service, read by the worker from the engine.")
            .ProducesProblem(404).ProducesProblem(409).ProducesProblem(504);

        writes.MapPost("/{serviceId:guid}/stop", LifecycleEndpoints.Send<StopService>).WithName("StopService").WithSummary("Stop a running service.")
            .ProducesProblem(404).ProducesProblem(409);
        writes.MapPost("/{serviceId:guid}/start", LifecycleEndpoints.Send<StartService>).WithName("StartService").WithSummary("Start a stopped service.")
            .ProducesProblem(404).ProducesProblem(409);
        writes.MapPost("/{serviceId:guid}/restart", LifecycleEndpoints.Send<RestartService>).WithName("RestartService").WithSummary("Restart a service.")
            .ProducesProblem(404).ProducesProblem(409);
        writes.MapDelete("/{serviceId:guid}", LifecycleEndpoints.Send<RemoveService>).WithName("RemoveService")
            .WithSummary("Remove a service; its port and name are freed once the container is gone.")
            .ProducesProblem(404).ProducesProblem(409);
        return services;
    }
}
