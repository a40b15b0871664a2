using Docker.DotNet;
using Docker.DotNet.Models;

namespace Messaging.Worker.Scheduling.Swarm;

/// <summary>
/// Runs one short command on every ready node of the swarm, as a one-off global job, and says which nodes it did not
/// pass on: the way the worker checks, for real and on each node, what a service's task would find there. The job is
/// labelled (<see cref="SwarmReadiness.ProbeLabel"/>) and removed afterwards, whatever happened.
/// </summary>
public sealed class SwarmNodeProbe(IDockerClient docker, string instance, string image)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Runs <c>sh -c <paramref name="script"/></c> on every ready node (hardened as a service's task: no capabilities,
    /// read-only root; on <paramref name="network"/> when given, as a service's task is on its own overlay) and returns
    /// the nodes where it did not exit 0 or did not finish in time, each as "hostname (id, why)".
    /// </summary>
    public async Task<IReadOnlyList<string>> NodesFailingAsync(string check, string script, IList<string> env, string? network, CancellationToken cancellationToken)
    {
        var nodes = (await docker.Swarm.ListNodesAsync(cancellationToken)).Where(n => n.Status?.State == "ready").ToList();
        var probe = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = $"{instance}-{check}-probe-{Guid.NewGuid():N}"[..48],
                Labels = new Dictionary<string, string> { [SwarmReadiness.ProbeLabel] = instance },
                Mode = new ServiceMode { GlobalJob = new GlobalJob() },
                TaskTemplate = new TaskSpec
                {
                    ContainerSpec = new ContainerSpec
                    {
                        Image = image,
                        Command = ["sh", "-c", script],
                        Env = env,
                        CapabilityDrop = ["ALL"],
                        ReadOnly = true,
                    },
                    RestartPolicy = new SwarmRestartPolicy { Condition = "none" },
                    Networks = network is null ? null! : [new NetworkAttachmentConfig { Target = network }],
                },
            },
        }, cancellationToken);
        try
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (true)
            {
                var tasks = await docker.Tasks.ListAsync(new TasksListParameters
                {
                    Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [probe.ID!] = true } },
                }, cancellationToken);
                var finished = tasks.Where(t => t.Status?.State is TaskState.Complete or TaskState.Failed or TaskState.Rejected).ToList();
                if (nodes.All(n => finished.Any(t => t.NodeID == n.ID)) || DateTime.UtcNow > deadline)
                {
                    return nodes.Where(n => !finished.Any(t => t.NodeID == n.ID && t.Status?.State == TaskState.Complete))
                        .Select(n =>
                        {
                            // The finished task, not a newer one Swarm made since: the job runs again on a node whose task failed.
                            var task = finished.FirstOrDefault(t => t.NodeID == n.ID) ?? tasks.FirstOrDefault(t => t.NodeID == n.ID);
                            var why = task is null ? "no probe task" : $"probe {task.Status?.State}{(string.IsNullOrEmpty(task.Status?.Err) ? "" : ": " + task.Status.Err)}";
                            return $"{n.Description?.Hostname} ({n.ID[..12]}, {why})";
                        }).ToList();
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(probe.ID!, CancellationToken.None);
        }
    }
}
