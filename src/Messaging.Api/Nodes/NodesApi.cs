using MassTransit;
using Messaging.Api.Services;
using Messaging.Contracts;

namespace Messaging.Api.Nodes;

/// <summary>
/// <c>GET /api/v1/nodes</c> (scope <c>admin</c>, issue 18): the nodes services run on, with what each has, what our
/// services reserve of it and which of them run there. The API has no engine access, so a worker reads the scheduler
/// now and answers over the bus (as for a service's stats). With <c>Scheduler:Mode=containers</c> the one engine is the
/// one node: the same shape for both modes, so a dashboard or script needs no second path.
/// </summary>
public static class NodesApi
{
    public static RouteGroupBuilder MapNodesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/nodes", Get).RequireAuthorization(Scopes.Admin).WithTags("Nodes").WithName("GetNodes")
            .WithSummary("The scheduler's nodes (one engine: that engine): availability, state, resources, what our services reserve and which run there.")
            .ProducesProblem(502).ProducesProblem(504);
        return api;
    }

    public static Task<Results<Ok<NodesView>, ProblemHttpResult>> Get(IRequestClient<GetNodes> client) =>
        WorkerRequests.AskAsync<GetNodes, NodeList, NodesUnavailable, NodesView>(client, new GetNodes(), "nodes", NodesView.From, Refused);

    /// <summary>
    /// An engine failure is 503 as everywhere; <c>invalid_command</c> means the worker does not take this API's broker user
    /// for the API (<c>Identity:ApiBrokerUser</c>): a deployment error, reported as the worker's refusal (502), not as a missing engine.
    /// </summary>
    private static ProblemHttpResult Refused(NodesUnavailable refusal) => refusal.Reason == RejectionReasons.InvalidCommand
        ? Problems.WorkerRefused(refusal.Message)
        : Problems.EngineUnavailable(refusal.Message);
}

/// <summary>What <c>GET /nodes</c> answers: the worker's scheduler mode, when it read the nodes, and the nodes.</summary>
public sealed record NodesView(string Scheduler, DateTimeOffset ReadAt, IReadOnlyList<NodeView> Nodes)
{
    public static NodesView From(NodeList list) => new(list.Scheduler, list.ReadAt, [.. list.Nodes.Select(NodeView.From)]);
}

/// <summary>
/// One node. <see cref="Resources"/> is what it has, <see cref="Reserved"/> what our services' tasks placed on it reserve
/// (one engine: the limits of our running containers), <see cref="Services"/> ours running there now.
/// </summary>
public sealed record NodeView(
    string Id, string Hostname, string Role, string Availability, string State, string? Address,
    NodeResourcesView Resources, NodeResourcesView Reserved, IReadOnlyList<NodeServiceView> Services)
{
    public static NodeView From(NodeSummary node) => new(node.Id, node.Hostname, node.Role, node.Availability, node.State, node.Address,
        new NodeResourcesView(node.NanoCpus, node.NanoCpus / 1e9, node.MemoryBytes),
        new NodeResourcesView(node.ReservedNanoCpus, node.ReservedNanoCpus / 1e9, node.ReservedMemoryBytes),
        [.. node.Services.Select(s => new NodeServiceView(s.ServiceId, s.ServiceName))]);
}

/// <summary>CPUs as Docker counts them (NanoCPUs) and as a number of CPUs, and memory in bytes.</summary>
public sealed record NodeResourcesView(long NanoCpus, double Cpus, long MemoryBytes);

/// <summary>A service of ours running on the node.</summary>
public sealed record NodeServiceView(Guid ServiceId, string ServiceName);
