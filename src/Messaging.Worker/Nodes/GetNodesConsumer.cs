using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using Messaging.Worker.Identity;
using Messaging.Worker.Lifecycle;
using Messaging.Worker.Scheduling;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Nodes;

/// <summary>
/// Answers <c>GET /api/v1/nodes</c> for the API, which has no engine of its own (issue 18): one read of the scheduler's
/// nodes, tasks and our services per request, so the answer is what the engine says now rather than a summary that may
/// have aged. Node addresses, capacities and every owner's services are an operator's view: only the API's broker user
/// (which asks for admin tokens only) is answered; any other publisher gets <c>invalid_command</c> and no figures.
/// </summary>
public sealed class GetNodesConsumer(IContainerRuntime runtime, CommandIdentity identity, IOptions<SchedulerOptions> scheduler, TimeProvider clock)
    : IConsumer<GetNodes>
{
    public async Task Consume(ConsumeContext<GetNodes> context)
    {
        if (identity.Resolve(context, requestedBy: null) is not { IsApi: true })
        {
            await context.RespondAsync(new NodesUnavailable
            {
                Reason = RejectionReasons.InvalidCommand, Message = "Only the API may ask for the nodes (GET /api/v1/nodes, admin tokens).",
            });
            return;
        }
        try
        {
            var nodes = await runtime.ListNodesAsync(context.CancellationToken);
            await context.RespondAsync(new NodeList
            {
                Scheduler = scheduler.Value.Mode == SchedulerMode.Swarm ? "swarm" : "containers",
                ReadAt = clock.GetUtcNow(),
                Nodes = [.. nodes.Select(From)],
            });
        }
        catch (ContainerRuntimeException e)
        {
            await context.RespondAsync(new NodesUnavailable { Reason = ServiceQueries.ReasonFor(e), Message = e.Message });
        }
    }

    private static NodeSummary From(SchedulerNode node) => new()
    {
        Id = node.Id, Hostname = node.Hostname, Role = node.Role, Availability = node.Availability, State = node.State, Address = node.Address,
        NanoCpus = node.NanoCpus, MemoryBytes = node.MemoryBytes, ReservedNanoCpus = node.ReservedNanoCpus, ReservedMemoryBytes = node.ReservedMemoryBytes,
        Services = [.. node.Services.Select(s => new NodeService { ServiceId = s.ServiceId, ServiceName = s.ServiceName })],
    };
}

public sealed class GetNodesConsumerDefinition : ConsumerDefinition<GetNodesConsumer>
{
    public GetNodesConsumerDefinition()
    {
        EndpointName = CommandQueues.Nodes;
        // An operator's page, not a hot path: two reads at a time keep a reloading dashboard from queueing engine calls.
        ConcurrentMessageLimit = 2;
    }
}
