using System.Globalization;
using Messaging.Validation;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Containers;

/// <summary>
/// Builds every container spec from scratch out of an approved command. Nothing from the request is
/// copied through except the values the policy checked.
/// </summary>
public sealed class ContainerSpecBuilder(IOptions<DockerOptions> options)
{
    private readonly DockerOptions _docker = options.Value;

    public ContainerSpec Build(ApprovedService service, int hostPort)
    {
        var command = service.Command;
        return new ContainerSpec
        {
            // Service names are users' choice and the engine is shared (with our own processes, other installations):
            // the instance prefix keeps a user from taking "messaging-worker-1" or another installation's names.
            Name = $"{_docker.Instance}-{command.ServiceName}",
            Image = service.Image,
            Env = command.Env?.Select(pair => $"{pair.Key}={pair.Value}").ToList() ?? [],
            Labels = Labels(command),
            Port = new PublishedPort(service.InternalPort, _docker.PublishAddress, hostPort),
            MemoryBytes = service.MemoryBytes,
            NanoCpus = (long)Math.Round(service.CpuLimit * 1_000_000_000d),
            PidsLimit = _docker.PidsLimit,
            User = service.Entry.ContainerUser(),
            Capabilities = service.Entry.GrantedCapabilities(),
            ReadOnlyRootfs = service.Entry.ReadOnlyRootfs,
            Tmpfs = service.Entry.TmpfsPaths().ToDictionary(path => path, _ => TmpfsOptions(service.Entry)),
            Network = _docker.Network,
            Logs = new LogLimits(_docker.LogMaxSize, _docker.LogMaxFiles),
            NodeConstraints = [.. service.Entry.RequiredNodeLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"node.labels.{l.Key}=={l.Value}")],
            Health = service.Entry.HealthCheck is { RunsInContainer: true } check
                ? new HealthProbe(check.Test(service.InternalPort), check.Interval, check.Timeout, check.Retries, check.StartPeriod)
                : null,
        };
    }

    private Dictionary<string, string> Labels(Messaging.Contracts.CreateService command)
    {
        var labels = new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "true",
            [ContainerLabels.ServiceId] = command.ServiceId.ToString("D"),
            [ContainerLabels.Owner] = command.RequestedBy,
            [ContainerLabels.ServiceName] = command.ServiceName,
            [ContainerLabels.Instance] = _docker.Instance,
            [ContainerLabels.CommandId] = command.CommandId.ToString("D"),
        };
        // Checked and reserved before this runs; they are the hostnames' copy that survives Redis.
        if (command.Hostnames is { Count: > 0 } hostnames)
            labels[ContainerLabels.Hostnames] = string.Join(' ', hostnames);
        return labels;
    }

    /// <summary>Writable, but no programs, set-id bits or device files on it, and bounded in size.</summary>
    private static string TmpfsOptions(AllowedImage entry)
    {
        MemorySize.TryParseLimit(entry.TmpfsSize, out var bytes);
        return $"rw,noexec,nosuid,nodev,size={bytes.ToString(CultureInfo.InvariantCulture)}";
    }
}
