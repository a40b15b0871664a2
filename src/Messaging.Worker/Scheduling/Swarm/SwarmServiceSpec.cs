using System.Globalization;
using Docker.DotNet.Models;
using Messaging.Worker.Containers;
using ContainerSpec = Messaging.Worker.Containers.ContainerSpec;

namespace Messaging.Worker.Scheduling.Swarm;

/// <summary>
/// Turns the worker's <see cref="ContainerSpec"/> into a Swarm service: the same guard rails as
/// <see cref="DockerCreateParameters"/>, in the fields Engine API 1.41 has for services. What 1.41 lacks per service
/// (no-new-privileges) is required of every node daemon-wide (<see cref="SwarmReadiness"/>).
/// </summary>
public static class SwarmServiceSpec
{
    public static ServiceSpec From(ContainerSpec spec, string network, SwarmOptions options, ulong replicas, TimeSpan stopGracePeriod) => new()
    {
        Name = spec.Name,
        Labels = new Dictionary<string, string>(spec.Labels),
        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = replicas } },
        TaskTemplate = new TaskSpec
        {
            ContainerSpec = new Docker.DotNet.Models.ContainerSpec
            {
                Image = spec.Image,
                // Labels on every task's container too: ownership is read from them on whichever node the task runs.
                Labels = new Dictionary<string, string>(spec.Labels),
                Command = spec.Entrypoint is { } entrypoint ? [.. entrypoint] : null!,
                Args = spec.Command is { } command ? [.. command] : null!,
                Env = [.. spec.Env],
                User = spec.User,
                ReadOnly = spec.ReadOnlyRootfs,
                CapabilityDrop = ["ALL"],
                CapabilityAdd = [.. spec.Capabilities],
                // Sent, though 1.41 ignores it: daemon-wide no-new-privileges on every node is what holds (checked at start).
                Privileges = new Privileges { NoNewPrivileges = true },
                Init = false,
                // As on the containers path (Docker:StopGracePeriod): SIGTERM, then SIGKILL after this long.
                StopGracePeriod = stopGracePeriod,
                Mounts = [.. spec.Tmpfs.Select(pair => Tmpfs(pair.Key, pair.Value))],
                Sysctls = new Dictionary<string, string>(),
                Healthcheck = spec.Health is { } health
                    ? new HealthcheckConfig
                    {
                        Test = [.. health.Test], Interval = health.Interval, Timeout = health.Timeout, Retries = health.Retries,
                        StartPeriod = health.StartPeriod,
                    }
                    : null,
            },
            Resources = new ResourceRequirements
            {
                // Limits bound the task; reservations of the same size make Swarm place by capacity (a node without
                // that much unreserved memory and CPU gets no task).
                Limits = new SwarmLimit { MemoryBytes = spec.MemoryBytes, NanoCPUs = spec.NanoCpus, Pids = spec.PidsLimit },
                Reservations = new SwarmResources { MemoryBytes = spec.MemoryBytes, NanoCPUs = spec.NanoCpus },
            },
            RestartPolicy = new SwarmRestartPolicy { Condition = options.RestartCondition, Delay = options.RestartDelay, MaxAttempts = 0 },
            Placement = new Placement
            {
                // Only the operator's node labels (node.labels.*, set with `docker node update --label-add`), never a node's
                // own engine labels, which whoever runs that engine sets.
                Constraints = [.. spec.NodeConstraints],
            },
            // One network of the service's own: no other service is on it.
            Networks = [new NetworkAttachmentConfig { Target = network, Aliases = [.. spec.NetworkAliases] }],
            LogDriver = new SwarmDriver
            {
                Name = "json-file",
                Options = new Dictionary<string, string>
                {
                    ["max-size"] = spec.Logs.MaxSize,
                    ["max-file"] = spec.Logs.MaxFiles.ToString(CultureInfo.InvariantCulture),
                },
            },
        },
        EndpointSpec = new EndpointSpec
        {
            // dnsrr: no virtual IP and no ingress load balancer for the service.
            Mode = "dnsrr",
            // Host mode: the port is bound on the node the task runs on, and the edge routes to that node. The ingress
            // routing mesh did not answer on this machine's swarms (not on 127.0.0.1, not on the nodes' addresses), and
            // it would open the port on every node of the cluster for every service.
            Ports = spec.Port.HostPort == 0
                ? []
                :
                [
                    new PortConfig
                    {
                        Protocol = "tcp", TargetPort = (uint)spec.Port.InternalPort, PublishedPort = (uint)spec.Port.HostPort, PublishMode = "host",
                    },
                ],
        },
    };

    /// <summary>A tmpfs mount from the container path's option string (<c>rw,noexec,nosuid,nodev,size=N</c>).</summary>
    private static Mount Tmpfs(string path, string options)
    {
        var size = options.Split(',').Select(o => o.Split('=', 2)).Where(kv => kv is ["size", _]).Select(kv => long.Parse(kv[1], CultureInfo.InvariantCulture))
            .FirstOrDefault();
        // A tmpfs mount of a service takes a size (1.41); the engine mounts every tmpfs of the Mounts API noexec, nosuid, nodev.
        return new Mount { Type = "tmpfs", Target = path, TmpfsOptions = new TmpfsOptions { SizeBytes = size } };
    }
}
