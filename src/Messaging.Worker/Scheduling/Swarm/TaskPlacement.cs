using Docker.DotNet.Models;
using Messaging.Contracts;

namespace Messaging.Worker.Scheduling.Swarm;

/// <summary>
/// Where one Swarm service's task runs, read from its tasks and the nodes: the node's address and hostname, or why no task
/// runs (a <see cref="DegradedReasons"/> code and Swarm's own words). A task counts as running only on a node Swarm sees
/// as ready: a node that was lost keeps reporting its last state ("running") for its tasks, which answer nothing.
/// </summary>
public sealed record TaskPlacement(string? Address, string? NodeName, (string Reason, string Detail)? WhyNotRunning)
{
    public static TaskPlacement Of(IEnumerable<TaskResponse> serviceTasks, IReadOnlyDictionary<string, NodeListResponse> nodes)
    {
        var tasks = serviceTasks.OrderByDescending(t => t.UpdatedAt).ToList();
        NodeListResponse? NodeOf(TaskResponse task) => task.NodeID is { } id && nodes.TryGetValue(id, out var node) ? node : null;

        var running = tasks.FirstOrDefault(t =>
            t.DesiredState == TaskState.Running && t.Status?.State == TaskState.Running && NodeOf(t) is { Status.State: "ready" });
        if (running is not null)
        {
            var node = NodeOf(running)!;
            return new TaskPlacement(node.Status?.Addr, node.Description?.Hostname, null);
        }

        // A task that still says running on a node Swarm no longer reaches: the node is lost, whatever its replacement does.
        if (tasks.FirstOrDefault(t => t.Status?.State == TaskState.Running && NodeOf(t) is { } n && n.Status?.State != "ready") is { } stranded)
        {
            var node = NodeOf(stranded)!;
            var replacement = tasks.FirstOrDefault(t => t.DesiredState == TaskState.Running && t.ID != stranded.ID);
            return NotRunning(DegradedReasons.NodeLost,
                $"its task ran on node {node.Description?.Hostname} ({node.Status?.Addr}), which is {node.Status?.State}" +
                (replacement is null ? "" : $"; its replacement is {Describe(replacement, NodeOf(replacement))}"));
        }

        var latest = tasks.FirstOrDefault(t => t.DesiredState == TaskState.Running) ?? tasks.FirstOrDefault();
        if (latest is null)
            return NotRunning(DegradedReasons.NoTask, "Swarm has no task for the service");
        var detail = Describe(latest, NodeOf(latest));
        return latest.Status?.State switch
        {
            TaskState.Failed or TaskState.Rejected or TaskState.Shutdown or TaskState.Complete or TaskState.Orphaned or TaskState.Remove
                => NotRunning(DegradedReasons.TaskFailed, detail),
            TaskState.Pending when latest.Status.Err?.StartsWith("no suitable node", StringComparison.Ordinal) == true
                => NotRunning(DegradedReasons.NoSuitableNode, detail),
            _ => NotRunning(DegradedReasons.Starting, detail),
        };
    }

    private static TaskPlacement NotRunning(string reason, string detail) => new(null, null, (reason, detail));

    private static string Describe(TaskResponse task, NodeListResponse? node)
    {
        var state = task.Status?.State is { } known ? known.ToString().ToLowerInvariant() : "unknown";
        var why = task.Status?.Err ?? task.Status?.Message;
        var where = node is null ? "" : $" on node {node.Description?.Hostname} ({node.Status?.State})";
        return string.IsNullOrEmpty(why) ? $"{state}{where}" : $"{state}{where}: {why}";
    }
}
