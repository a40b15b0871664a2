using System.Diagnostics;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Containers;

/// <summary>The Docker Engine API, through Docker.DotNet, with engine errors turned into reason codes.</summary>
public sealed class DockerContainerRuntime(IDockerClient docker, IOptions<DockerOptions> options, ILogger<DockerContainerRuntime> logger,
    Pools.PoolClaimBook? claims = null)
    : IContainerRuntime
{
    /// <summary>A container's labels as the worker reads them: a claimed warm pool member's include its claim's (Pools/PoolClaimBook.cs).</summary>
    private async Task<IReadOnlyDictionary<string, string>> LabelsOf(IDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        var given = (IReadOnlyDictionary<string, string>?)labels ?? new Dictionary<string, string>();
        return claims is null ? given : await claims.EffectiveLabelsAsync(given, cancellationToken);
    }

    private const string IccOption = "com.docker.network.bridge.enable_icc";
    private readonly DockerOptions _options = options.Value;

    /// <summary>
    /// Checks for the services network, creates it when missing and removes duplicates we made. Not
    /// serialised here: callers go through <c>Provisioning.ServicesNetwork</c>, which does it once per
    /// worker and one worker at a time.
    /// </summary>
    public async Task EnsureNetworkAsync(CancellationToken cancellationToken)
    {
        await EngineCall.Run(async () =>
        {
            var networks = await NetworksNamedAsync(cancellationToken);
            var existing = networks.FirstOrDefault();
            if (existing is not null && !_options.AllowInterContainerTraffic &&
                !(existing.Options?.TryGetValue(IccOption, out var icc) == true && icc == "false"))
            {
                // Someone made the network by hand with the default (ICC on): services could reach each other.
                throw new ContainerRuntimeException(FailureReasons.DockerError,
                    $"Network '{_options.Network}' allows traffic between containers; recreate it with {IccOption}=false " +
                    "or set Docker:AllowInterContainerTraffic=true.");
            }
            if (existing is null)
            {
                try
                {
                    await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
                    {
                        Name = _options.Network,
                        Driver = "bridge",
                        Labels = new Dictionary<string, string> { [ContainerLabels.Managed] = "true" },
                        // Services must not reach one another directly.
                        Options = new Dictionary<string, string> { [IccOption] = "false" },
                    }, cancellationToken);
                    logger.LogInformation("Created network {Network}", _options.Network);
                }
                catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
                {
                    // Another worker created it first.
                }
                networks = await NetworksNamedAsync(cancellationToken);
            }
            await RemoveDuplicatesAsync(networks, cancellationToken);
        });
    }

    /// <summary>The networks with the services network's name, oldest first.</summary>
    private async Task<List<NetworkResponse>> NetworksNamedAsync(CancellationToken cancellationToken) =>
        [.. (await docker.Networks.ListNetworksAsync(new NetworksListParameters(), cancellationToken))
            .Where(n => n.Name == _options.Network).OrderBy(n => n.Created)];

    /// <summary>
    /// Engine API 1.41 accepts a second network with a taken name, and from then on every container create
    /// fails ("network is ambiguous"). Workers of one installation create it under a Redis lock, but another
    /// installation on the same engine, or an operator, may still race us: keep the oldest, remove the other
    /// ones we made. One with containers attached refuses removal and stays; the error then tells the operator.
    /// </summary>
    private async Task RemoveDuplicatesAsync(List<NetworkResponse> sameName, CancellationToken cancellationToken)
    {
        foreach (var duplicate in sameName.Skip(1).Where(n => n.Labels?.ContainsKey(ContainerLabels.Managed) == true))
        {
            try
            {
                await docker.Networks.DeleteNetworkAsync(duplicate.ID, cancellationToken);
                logger.LogWarning("Removed duplicate network {Network} ({NetworkId})", _options.Network, duplicate.ID);
            }
            catch (DockerApiException e)
            {
                logger.LogWarning("Could not remove duplicate network {Network} ({NetworkId}): {Detail}", _options.Network, duplicate.ID, e.ResponseBody);
            }
        }
    }

    public Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var parameters = DockerCreateParameters.From(spec);
            try
            {
                return (await docker.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                throw new ContainerNameConflictException(spec.Name);
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound && _options.PullMissingImages)
            {
                await PullAsync(spec.Image, cancellationToken);
                return (await docker.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;
            }
        });

    public Task<string?> StartAsync(ServiceContainer container, int hostPort, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var id = await OursAsync(container, cancellationToken);
            try
            {
                await docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken);
            }
            catch (DockerApiException e) when (IsPortUnavailable(e.ResponseBody))
            {
                throw new HostPortUnavailableException(hostPort, e.ResponseBody ?? "");
            }
            return (string?)null; // published on Docker:PublishAddress, as configured
        });

    public Task<ExistingContainer?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            try
            {
                var found = await docker.Containers.InspectContainerAsync(name, cancellationToken);
                // Inspect also resolves ids and id prefixes; only an exact name counts.
                if (found.Name.TrimStart('/') != name)
                    return null;
                var hostPort = found.HostConfig?.PortBindings?.Values.FirstOrDefault()?.FirstOrDefault()?.HostPort;
                return new ExistingContainer(found.ID, await LabelsOf(found.Config?.Labels, cancellationToken),
                    found.State?.Running ?? false, int.TryParse(hostPort, out var port) ? port : null);
            }
            catch (DockerContainerNotFoundException)
            {
                return (ExistingContainer?)null;
            }
        });

    public Task RemoveAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            try
            {
                var id = await OursAsync(container, cancellationToken);
                // RemoveVolumes: an image's VOLUME gives each container an anonymous volume (our specs mount nothing);
                // without it every removal would leave one behind on the host's disk.
                await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
            }
            catch (DockerContainerNotFoundException)
            {
            }
        });

    public Task<EngineResources> GetResourcesAsync(CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var info = await docker.System.GetSystemInfoAsync(cancellationToken);
            return new EngineResources(info.MemTotal, (int)info.NCPU);
        });

    /// <summary>
    /// One engine is one node. Nothing reserves on a plain engine, so what our services hold is the limits of our running
    /// containers (what Swarm would reserve for them: limits and reservations are the same size there); pool members not
    /// yet claimed are no service's and not counted.
    /// </summary>
    public async Task<IReadOnlyList<SchedulerNode>> ListNodesAsync(CancellationToken cancellationToken)
    {
        var info = await EngineCall.Run(() => docker.System.GetSystemInfoAsync(cancellationToken));
        var running = (await ListManagedAsync(cancellationToken))
            .Where(c => c.Running && Guid.TryParse(c.Labels.GetValueOrDefault(ContainerLabels.ServiceId), out _)).ToList();
        return
        [
            new SchedulerNode(info.ID ?? "", info.Name ?? "", "engine", "active", "ready", _options.PublishAddress,
                info.NCPU * 1_000_000_000L, info.MemTotal, running.Sum(c => c.NanoCpus), running.Sum(c => c.MemoryBytes),
                [.. running.Select(c => new RunningService(Guid.Parse(c.Labels[ContainerLabels.ServiceId]), c.ServiceName)).OrderBy(s => s.ServiceName, StringComparer.Ordinal)]),
        ];
    }

    public Task<bool> ExistsAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            try
            {
                await OursAsync(container, cancellationToken);
                return true;
            }
            catch (Exception e) when (e is DockerContainerNotFoundException or ForeignContainerException)
            {
                return false;
            }
        });

    public Task StopAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            // Returns false (HTTP 304) when it was already stopped: fine.
            await docker.Containers.StopContainerAsync(await OursAsync(container, cancellationToken),
                new ContainerStopParameters { WaitBeforeKillSeconds = (uint)_options.StopGracePeriod.TotalSeconds }, cancellationToken);
        });

    public Task RestartAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            await docker.Containers.RestartContainerAsync(await OursAsync(container, cancellationToken),
                new ContainerRestartParameters { WaitBeforeKillSeconds = (uint)_options.StopGracePeriod.TotalSeconds }, cancellationToken);
        });

    public Task<IReadOnlyList<string>> GetLogsAsync(ServiceContainer container, int tail, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            using var stream = await docker.Containers.GetContainerLogsAsync(await OursAsync(container, cancellationToken), new ContainerLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Tail = tail.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, cancellationToken);
            return await EngineLogs.ReadLinesAsync(stream, cancellationToken);
        });

    public Task<ContainerUsage?> GetUsageAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var found = await InspectOursAsync(container, cancellationToken);
            if (found.State?.Running != true)
                return null;
            // stream=false: one answer. Without one-shot the engine waits for its next sample and sends the previous one
            // as precpu_stats, which the CPU figure needs (one-shot would leave it empty).
            var frame = new LastFrame();
            await docker.Containers.GetContainerStatsAsync(found.ID, new ContainerStatsParameters { Stream = false }, frame, cancellationToken);
            return frame.Value is null ? null : ContainerUsage.From(frame.Value);
        });

    /// <summary>Keeps the frame the engine sent, synchronously (<see cref="Progress{T}"/> would report it later, on the thread pool).</summary>
    private sealed class LastFrame : IProgress<ContainerStatsResponse>
    {
        public ContainerStatsResponse? Value { get; private set; }
        public void Report(ContainerStatsResponse value) => Value = value;
    }

    public Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var listed = await docker.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool>
                    {
                        [$"{ContainerLabels.Managed}=true"] = true,
                        [$"{ContainerLabels.Instance}={_options.Instance}"] = true,
                    },
                },
            }, cancellationToken);
            var result = new List<ManagedContainer>();
            foreach (var item in listed)
            {
                ContainerInspectResponse inspect;
                try
                {
                    inspect = await docker.Containers.InspectContainerAsync(item.ID, cancellationToken);
                }
                catch (DockerContainerNotFoundException)
                {
                    continue; // removed between the list and the inspect
                }
                var binding = inspect.HostConfig?.PortBindings?.FirstOrDefault();
                var hostBinding = binding?.Value?.FirstOrDefault();
                result.Add(new ManagedContainer(
                    inspect.ID, inspect.Name.TrimStart('/'), inspect.Config?.Image ?? "",
                    await LabelsOf(inspect.Config?.Labels, cancellationToken),
                    inspect.State?.Running ?? false, inspect.Created,
                    inspect.HostConfig?.Memory ?? 0, inspect.HostConfig?.NanoCPUs ?? 0,
                    binding is { Key: { } key } && int.TryParse(key.Split('/')[0], out var internalPort) ? internalPort : null,
                    hostBinding?.HostIP, int.TryParse(hostBinding?.HostPort, out var hostPort) ? hostPort : null));
            }
            return (IReadOnlyList<ManagedContainer>)result;
        });

    /// <summary>
    /// The engine's full id of the service's container, once its labels say it is ours. Inspect also resolves
    /// names and id prefixes, so a record naming some other container (say, the Redis one) is caught here and
    /// the action then goes to the id the engine answered, never to the string the record held.
    /// </summary>
    private async Task<string> OursAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        (await InspectOursAsync(container, cancellationToken)).ID;

    private async Task<ContainerInspectResponse> InspectOursAsync(ServiceContainer container, CancellationToken cancellationToken)
    {
        var found = await docker.Containers.InspectContainerAsync(container.Id, cancellationToken);
        var labels = await LabelsOf(found.Config?.Labels, cancellationToken);
        if (ContainerLabels.BelongTo(labels, _options.Instance, container.ServiceId))
            return found;
        logger.LogError("Refused to act on container {ContainerId} ({ContainerName}): it does not carry the labels of service {ServiceId} " +
                        "in instance {Instance}. Something other than the worker wrote this id into the record",
            found.ID, found.Name.TrimStart('/'), container.ServiceId, _options.Instance);
        throw new ForeignContainerException(container.Id, container.ServiceId);
    }

    private async Task PullAsync(string image, CancellationToken cancellationToken)
    {
        logger.LogInformation("Pulling {Image}, which the engine does not have", image);
        try
        {
            await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image }, null,
                new Progress<JSONMessage>(message =>
                {
                    if (message.Error is not null)
                        throw new ContainerRuntimeException(FailureReasons.DockerError, $"Pulling {image} failed: {message.Error.Message}");
                }), cancellationToken);
            await docker.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerApiException e)
        {
            throw new ContainerRuntimeException(FailureReasons.DockerError,
                $"Image '{image}' is not on the engine and could not be pulled: {EngineCall.Summarize(e.ResponseBody)}", e);
        }
    }

    private static bool IsPortUnavailable(string? body) =>
        body is not null && (body.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase) ||
                             body.Contains("address already in use", StringComparison.OrdinalIgnoreCase));
}
