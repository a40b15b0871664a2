using System.Globalization;
using Docker.DotNet.Models;

namespace Messaging.Worker.Containers;

/// <summary>
/// Turns a <see cref="ContainerSpec"/> into the engine's create request. Everything security-relevant that
/// is the same for every container is fixed here, spelled out rather than left to the engine's defaults.
/// </summary>
public static class DockerCreateParameters
{
    public static CreateContainerParameters From(ContainerSpec spec)
    {
        var portKey = spec.Port.InternalPort.ToString(CultureInfo.InvariantCulture) + "/tcp";
        return new CreateContainerParameters
        {
            Name = spec.Name,
            Image = spec.Image,
            User = spec.User,
            // Absent (null, though the client's annotation says otherwise) keeps the image's own; the engine would
            // read an empty list as "no command".
            Entrypoint = spec.Entrypoint is { } entrypoint ? [.. entrypoint] : null!,
            Cmd = spec.Command is { } command ? [.. command] : null!,
            Env = [.. spec.Env],
            Labels = new Dictionary<string, string>(spec.Labels),
            ExposedPorts = new Dictionary<string, EmptyStruct> { [portKey] = default },
            Healthcheck = spec.Health is { } health
                ? new HealthcheckConfig
                {
                    Test = [.. health.Test], Interval = health.Interval, Timeout = health.Timeout, Retries = health.Retries,
                    StartPeriod = health.StartPeriod,
                }
                : null,
            NetworkingConfig = spec.NetworkAliases.Count == 0
                ? null
                : new NetworkingConfig
                {
                    EndpointsConfig = new Dictionary<string, EndpointSettings> { [spec.Network] = new() { Aliases = [.. spec.NetworkAliases] } },
                },
            HostConfig = new HostConfig
            {
                Memory = spec.MemoryBytes,
                MemorySwap = spec.MemoryBytes, // equal to memory: no swap on top
                NanoCPUs = spec.NanoCpus,
                PidsLimit = spec.PidsLimit,
                Privileged = false,
                // Never the host's network, PIDs, IPC or UTS namespaces. The user namespace is the daemon's
                // default (the host's, unless dockerd runs with userns-remap).
                IpcMode = "private",
                PidMode = "",
                UTSMode = "",
                UsernsMode = "",
                Sysctls = new Dictionary<string, string>(),
                OomKillDisable = false,
                SecurityOpt = ["no-new-privileges"],
                CapDrop = ["ALL"],
                CapAdd = [.. spec.Capabilities],
                ReadonlyRootfs = spec.ReadOnlyRootfs,
                Tmpfs = new Dictionary<string, string>(spec.Tmpfs),
                Binds = [],
                Mounts = [],
                Devices = [],
                VolumesFrom = [],
                NetworkMode = spec.Network,
                PublishAllPorts = false,
                // Host port 0: published nowhere (a stack member other than the public entry).
                PortBindings = spec.Port.HostPort == 0
                    ? new Dictionary<string, IList<PortBinding>>()
                    : new Dictionary<string, IList<PortBinding>>
                    {
                        [portKey] = [new PortBinding { HostIP = spec.Port.HostAddress, HostPort = spec.Port.HostPort.ToString(CultureInfo.InvariantCulture) }],
                    },
                // The engine never restarts on its own: the worker's supervisor decides (backoff, crash loops, health),
                // and a restart the engine made behind its back would be one the records cannot count.
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
                LogConfig = new LogConfig
                {
                    Type = "json-file",
                    Config = new Dictionary<string, string>
                    {
                        ["max-size"] = spec.Logs.MaxSize,
                        ["max-file"] = spec.Logs.MaxFiles.ToString(CultureInfo.InvariantCulture),
                    },
                },
            },
        };
    }
}
