using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Scheduling.Swarm;

namespace Messaging.UnitTests.Scheduling;

/// <summary>Where a Swarm service's task runs, or why none does, from its tasks and the nodes (issue 18).</summary>
public class TaskPlacementTests
{
    private static readonly DateTime T0 = new(2026, 12, 3, 4, 0, 0, DateTimeKind.Utc);

    private static readonly Dictionary<string, NodeListResponse> Nodes = new()
    {
        ["a"] = Node("a", "node-a", "10.0.0.1", "ready"),
        ["b"] = Node("b", "node-b", "10.0.0.2", "down"),
    };

    private static NodeListResponse Node(string id, string hostname, string address, string state) => new()
    {
        ID = id, Description = new NodeDescription { Hostname = hostname }, Status = new NodeStatus { State = state, Addr = address },
    };

    private static TaskResponse TaskOf(string id, string? node, TaskState desired, TaskState state, int second, string? err = null) => new()
    {
        ID = id, ServiceID = "svc", NodeID = node, DesiredState = desired, UpdatedAt = T0.AddSeconds(second),
        Status = new Docker.DotNet.Models.TaskStatus { State = state, Err = err },
    };

    [Fact]
    public void A_task_running_on_a_ready_node_is_placed_there()
    {
        var placement = TaskPlacement.Of([TaskOf("t1", "a", TaskState.Running, TaskState.Running, 1)], Nodes);

        Assert.Equal(("10.0.0.1", "node-a", null), (placement.Address, placement.NodeName, placement.WhyNotRunning));
    }

    [Fact]
    public void A_task_still_saying_running_on_a_down_node_is_node_lost_naming_the_node_and_its_replacement()
    {
        var placement = TaskPlacement.Of(
        [
            TaskOf("old", "b", TaskState.Shutdown, TaskState.Running, 1),
            TaskOf("new", "a", TaskState.Running, TaskState.Starting, 2),
        ], Nodes);

        Assert.Null(placement.Address);
        Assert.Equal(DegradedReasons.NodeLost, placement.WhyNotRunning!.Value.Reason);
        Assert.Contains("node-b (10.0.0.2), which is down", placement.WhyNotRunning.Value.Detail);
        Assert.Contains("replacement is starting on node node-a", placement.WhyNotRunning.Value.Detail);
    }

    [Fact]
    public void A_task_desired_running_on_a_down_node_does_not_count_as_running()
    {
        var placement = TaskPlacement.Of([TaskOf("t1", "b", TaskState.Running, TaskState.Running, 1)], Nodes);

        Assert.Null(placement.Address);
        Assert.Equal(DegradedReasons.NodeLost, placement.WhyNotRunning!.Value.Reason);
    }

    [Theory]
    [InlineData(TaskState.Failed, "task exited with code 1", DegradedReasons.TaskFailed)]
    [InlineData(TaskState.Rejected, "port already in use", DegradedReasons.TaskFailed)]
    [InlineData(TaskState.Pending, "no suitable node (scheduling constraints not satisfied on 1 node)", DegradedReasons.NoSuitableNode)]
    [InlineData(TaskState.Preparing, null, DegradedReasons.Starting)]
    public void The_latest_task_s_state_says_why_none_runs(TaskState state, string? err, string reason)
    {
        var placement = TaskPlacement.Of(
        [
            TaskOf("older", "a", TaskState.Shutdown, TaskState.Complete, 1),
            TaskOf("latest", state == TaskState.Pending ? null : "a", TaskState.Running, state, 2, err),
        ], Nodes);

        Assert.Null(placement.Address);
        Assert.Equal(reason, placement.WhyNotRunning!.Value.Reason);
        if (err is not null)
            Assert.Contains(err, placement.WhyNotRunning.Value.Detail);
    }

    [Fact]
    public void No_task_at_all_is_no_task()
    {
        Assert.Equal(DegradedReasons.NoTask, TaskPlacement.Of([], Nodes).WhyNotRunning!.Value.Reason);
    }
}
