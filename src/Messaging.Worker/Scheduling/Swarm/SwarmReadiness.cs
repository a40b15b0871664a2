using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Scheduling.Swarm;

/// <summary>
/// Runs before the worker takes any command in swarm mode, and stops it from starting when the swarm cannot give a
/// service the guard rails a container gets: the engine must be a manager of an active swarm, and every node must set
/// no-new-privileges daemon-wide (Engine API 1.41 has no per-service field for it). The second is checked for real, on
/// every node: a one-off global job whose task passes only when its own process has <c>NoNewPrivs: 1</c>.
/// </summary>
public sealed class SwarmReadiness(IDockerClient docker, IOptions<DockerOptions> dockerOptions, IOptions<SchedulerOptions> scheduler, ILogger<SwarmReadiness> logger)
    : IHostedService
{
    /// <summary>Label of the check's job, so a job left by a crashed worker is recognised (and removed) by the next one.</summary>
    public const string ProbeLabel = "messaging.swarm-probe";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(90);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = await docker.System.GetSystemInfoAsync(cancellationToken);
        if (info.Swarm?.LocalNodeState != "active" || !info.Swarm.ControlAvailable)
            throw new InvalidOperationException(
                $"Scheduler:Mode is swarm, but the engine at {dockerOptions.Value.Endpoint} is not a manager of an active swarm " +
                $"(state '{info.Swarm?.LocalNodeState}', manager: {info.Swarm?.ControlAvailable}). Run `docker swarm init` there, or set Scheduler:Mode=containers.");
        if (!scheduler.Value.Swarm.RequireNoNewPrivileges)
        {
            logger.LogWarning("Scheduler:Swarm:RequireNoNewPrivileges is off: services on Swarm may gain privileges through set-id binaries");
            return;
        }
        var lacking = await NodesWithoutNoNewPrivilegesAsync(cancellationToken);
        if (lacking.Count > 0)
            throw new InvalidOperationException(
                $"Swarm node(s) {string.Join(", ", lacking)} do not set no-new-privileges daemon-wide. Engine API 1.41 cannot set it per " +
                "service, so the worker refuses to schedule on this swarm: add \"no-new-privileges\": true to /etc/docker/daemon.json " +
                "(or start dockerd with --no-new-privileges) on every node and restart the engines.");
        logger.LogInformation("Every swarm node sets no-new-privileges daemon-wide");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The hostnames (and ids) of the ready nodes whose probe task did not find NoNewPrivs set, or did not finish.</summary>
    private async Task<IReadOnlyList<string>> NodesWithoutNoNewPrivilegesAsync(CancellationToken cancellationToken)
    {
        await RemoveLeftoverProbesAsync(cancellationToken);
        var nodes = (await docker.Swarm.ListNodesAsync(cancellationToken)).Where(n => n.Status?.State == "ready").ToList();
        var probe = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = $"{dockerOptions.Value.Instance}-nnp-probe-{Guid.NewGuid():N}"[..48],
                Labels = new Dictionary<string, string> { [ProbeLabel] = dockerOptions.Value.Instance },
                Mode = new ServiceMode { GlobalJob = new GlobalJob() },
                TaskTemplate = new TaskSpec
                {
                    ContainerSpec = new Docker.DotNet.Models.ContainerSpec
                    {
                        Image = scheduler.Value.Swarm.ProbeImage,
                        Command = ["sh", "-c", "grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/self/status"],
                        CapabilityDrop = ["ALL"],
                        ReadOnly = true,
                    },
                    RestartPolicy = new SwarmRestartPolicy { Condition = "none" },
                },
            },
        }, cancellationToken);
        try
        {
            var deadline = DateTime.UtcNow + ProbeTimeout;
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

    private async Task RemoveLeftoverProbesAsync(CancellationToken cancellationToken)
    {
        var leftovers = await docker.Swarm.ListServicesAsync(new ServiceListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ProbeLabel}={dockerOptions.Value.Instance}"] = true },
            },
        }, cancellationToken);
        foreach (var service in leftovers)
            await docker.Swarm.RemoveServiceAsync(service.ID!, cancellationToken);
    }
}
