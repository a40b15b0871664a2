using System.Globalization;
using Docker.DotNet.Models;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Containers;

/// <summary>
/// Builds every container spec from scratch out of an approved command. Nothing from the request is
/// copied through except the values the policy checked; everything security-relevant is fixed here.
/// </summary>
public sealed class ContainerSpecBuilder(IOptions<DockerOptions> options)
{
    private readonly DockerOptions _docker = options.Value;

    public CreateContainerParameters Build(ApprovedService service, int hostPort)
    {
        var command = service.Command;
        var portKey = service.InternalPort.ToString(CultureInfo.InvariantCulture) + "/tcp";
        var nanoCpus = (long)Math.Round(command.CpuLimit * 1_000_000_000d);

        return new CreateContainerParameters
        {
            Name = command.ServiceName,
            Image = service.Image,
            Env = command.Env?.Select(pair => $"{pair.Key}={pair.Value}").ToList() ?? [],
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.Managed] = "true",
                [ContainerLabels.ServiceId] = command.ServiceId.ToString("D"),
                [ContainerLabels.Owner] = command.RequestedBy,
                [ContainerLabels.ServiceName] = command.ServiceName,
                [ContainerLabels.Instance] = _docker.Instance,
                [ContainerLabels.CommandId] = command.CommandId.ToString("D"),
            },
            ExposedPorts = new Dictionary<string, EmptyStruct> { [portKey] = default },
            HostConfig = new HostConfig
            {
                Memory = service.MemoryBytes,
                MemorySwap = service.MemoryBytes, // equal to memory: no swap on top
                NanoCPUs = nanoCpus,
                PidsLimit = _docker.PidsLimit,
                Privileged = false,
                // Private namespaces, spelled out: never the host's network, PIDs, IPC, UTS or users.
                IpcMode = "private",
                PidMode = "",
                UTSMode = "",
                UsernsMode = "",
                Sysctls = new Dictionary<string, string>(),
                OomKillDisable = false,
                SecurityOpt = ["no-new-privileges"],
                CapDrop = ["ALL"],
                CapAdd = [.. service.Entry.Capabilities],
                ReadonlyRootfs = service.Entry.ReadOnlyRootfs,
                Tmpfs = service.Entry.Tmpfs.ToDictionary(path => path, _ => "rw,noexec,nosuid,size=64m"),
                Binds = [],
                Mounts = [],
                Devices = [],
                VolumesFrom = [],
                NetworkMode = _docker.Network,
                PublishAllPorts = false,
                PortBindings = new Dictionary<string, IList<PortBinding>>
                {
                    [portKey] = [new PortBinding { HostIP = _docker.PublishAddress, HostPort = hostPort.ToString(CultureInfo.InvariantCulture) }],
                },
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
                LogConfig = new LogConfig
                {
                    Type = "json-file",
                    Config = new Dictionary<string, string>
                    {
                        ["max-size"] = _docker.LogMaxSize,
                        ["max-file"] = _docker.LogMaxFiles.ToString(CultureInfo.InvariantCulture),
                    },
                },
            },
        };
    }
}
