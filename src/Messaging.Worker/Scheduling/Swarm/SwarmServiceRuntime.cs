using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;
using ContainerSpec = Messaging.Worker.Containers.ContainerSpec;

namespace Messaging.Worker.Scheduling.Swarm;

/// <summary>
/// The scheduler port on Docker Swarm: one replicated service per service (replicas 1 while it runs), on an overlay
/// network of its own, its port published in host mode on the node its task runs on. Swarm places, restarts and
/// reschedules; this class only says what should run and waits until it does. A record's container id is the
/// service's id. Lifecycle: start = scale to 1, stop = scale to 0, restart = forced update, remove = service remove.
/// </summary>
public sealed class SwarmServiceRuntime(
    IDockerClient docker, IOptions<DockerOptions> dockerOptions, IOptions<SchedulerOptions> scheduler, ILogger<SwarmServiceRuntime> logger)
    : IContainerRuntime
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private DockerOptions Docker => dockerOptions.Value;
    private SwarmOptions Options => scheduler.Value.Swarm;

    /// <summary>No shared network on Swarm (each service gets its own); checks that the engine is a manager of an active swarm.</summary>
    public Task EnsureNetworkAsync(CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var swarm = (await docker.System.GetSystemInfoAsync(cancellationToken)).Swarm;
            if (swarm?.LocalNodeState != "active" || !swarm.ControlAvailable)
                throw new ContainerRuntimeException(FailureReasons.DockerUnavailable,
                    $"Scheduler:Mode is swarm, but the engine at {Docker.Endpoint} is not a manager of an active swarm (state '{swarm?.LocalNodeState}').");
        });

    public Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var serviceId = spec.Labels[ContainerLabels.ServiceId];
            var network = await EnsureServiceNetworkAsync(serviceId, cancellationToken);
            try
            {
                // Created with no task: the start scales it to one and waits for it (as create, then start, of a container).
                var created = await docker.Swarm.CreateServiceAsync(
                    new ServiceCreateParameters { Service = SwarmServiceSpec.From(spec, network, Options, replicas: 0, Docker.StopGracePeriod) }, cancellationToken);
                return created.ID!;
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                throw new ContainerNameConflictException(spec.Name);
            }
        });

    public Task<string?> StartAsync(ServiceContainer container, int hostPort, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var service = await InspectOursAsync(container, cancellationToken);
            var before = await TaskIdsAsync(service.ID!, cancellationToken);
            if (service.Spec!.Mode?.Replicated?.Replicas != 1)
                await UpdateAsync(service, spec => spec.Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 1 } }, cancellationToken);
            else // already at one: the task it means to run now is the one to wait for; only its history is old
                before = (await TasksOfAsync(service.ID!, cancellationToken)).Where(t => t.DesiredState != TaskState.Running).Select(t => t.ID!).ToHashSet();
            return await WaitForNewTaskAsync(service.ID!, before, hostPort, cancellationToken);
        });

    public Task StopAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var service = await InspectOursAsync(container, cancellationToken);
            if (service.Spec!.Mode?.Replicated?.Replicas != 0)
                await UpdateAsync(service, spec => spec.Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } }, cancellationToken);
            // Stopped means stopped: its port is free and its process gone when the event says so.
            var deadline = DateTime.UtcNow + Docker.StopGracePeriod + TimeSpan.FromSeconds(20);
            while (await RunningTaskAsync(service.ID, cancellationToken) is not null)
            {
                if (DateTime.UtcNow > deadline)
                    throw new ContainerRuntimeException(FailureReasons.DockerError, $"Service {service.Spec.Name} still has a running task after scaling to 0.");
                await Task.Delay(Poll, cancellationToken);
            }
        });

    public Task RestartAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var service = await InspectOursAsync(container, cancellationToken);
            var before = await TaskIdsAsync(service.ID!, cancellationToken);
            // A forced update replaces the task even though the spec is the same (stop first: the port is bound once).
            await UpdateAsync(service, spec =>
            {
                spec.Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 1 } };
                spec.TaskTemplate!.ForceUpdate++;
            }, cancellationToken);
            await WaitForNewTaskAsync(service.ID, before, HostPortOf(service) ?? 0, cancellationToken);
        });

    public Task RemoveAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            try
            {
                var service = await InspectOursAsync(container, cancellationToken);
                await docker.Swarm.RemoveServiceAsync(service.ID, cancellationToken);
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
            }
            await RemoveServiceNetworkAsync(container.ServiceId, cancellationToken);
        });

    public Task<bool> ExistsAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            try
            {
                await InspectOursAsync(container, cancellationToken);
                return true;
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
            catch (ForeignContainerException)
            {
                return false;
            }
        });

    public Task<ExistingContainer?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            try
            {
                var found = await docker.Swarm.InspectServiceAsync(name, cancellationToken);
                if (found.Spec?.Name != name) // inspect also resolves ids and id prefixes
                    return null;
                return new ExistingContainer(found.ID, Labels(found), found.Spec.Mode?.Replicated?.Replicas > 0, HostPortOf(found));
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return (ExistingContainer?)null;
            }
        });

    public Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var services = await OurServicesAsync(cancellationToken);
            // Every task the swarm keeps (each slot's history is bounded by the swarm's task history limit, 5 by default):
            // where a task runs, and why none does.
            var tasks = (await docker.Tasks.ListAsync(new TasksListParameters(), cancellationToken))
                .Where(t => t.ServiceID is not null).ToLookup(t => t.ServiceID!);
            var nodes = (await docker.Swarm.ListNodesAsync(cancellationToken)).Where(n => n.ID is not null).ToDictionary(n => n.ID!);
            return (IReadOnlyList<ManagedContainer>)services.Select(service =>
            {
                var spec = service.Spec!;
                var port = spec.EndpointSpec?.Ports?.FirstOrDefault();
                var limits = spec.TaskTemplate?.Resources?.Limits;
                var meantToRun = spec.Mode?.Replicated?.Replicas > 0;
                var placement = TaskPlacement.Of(tasks[service.ID!], nodes);
                return new ManagedContainer(
                    service.ID!, spec.Name ?? "", spec.TaskTemplate?.ContainerSpec?.Image ?? "", Labels(service), meantToRun,
                    service.CreatedAt ?? DateTime.UtcNow, limits?.MemoryBytes ?? 0, limits?.NanoCPUs ?? 0,
                    (int?)port?.TargetPort,
                    // Where its task runs now: the node's address (the edge routes there); unknown while none runs.
                    placement.Address,
                    (int?)port?.PublishedPort)
                {
                    NodeName = placement.NodeName,
                    NotRunningBecause = meantToRun && placement.Address is null ? placement.WhyNotRunning : null,
                };
            }).ToList();
        });

    /// <summary>
    /// Every node of the swarm, with the reservations of our services' tasks placed on it (assigned and not ended: what
    /// Swarm's scheduler counts against the node) and the services whose task runs there.
    /// </summary>
    public Task<IReadOnlyList<SchedulerNode>> ListNodesAsync(CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var nodes = await docker.Swarm.ListNodesAsync(cancellationToken);
            var ours = (await OurServicesAsync(cancellationToken)).Where(s => s.ID is not null).ToDictionary(s => s.ID!);
            var placed = (await TasksMeantToRunAsync(cancellationToken))
                .Where(t => t.ServiceID is not null && ours.ContainsKey(t.ServiceID) && t.NodeID is not null && !IsEnded(t.Status?.State))
                .ToLookup(t => t.NodeID!);
            return (IReadOnlyList<SchedulerNode>)nodes
                .Select(node =>
                {
                    var tasks = placed[node.ID ?? ""].ToList();
                    var reserved = tasks.Select(t => ours[t.ServiceID!].Spec?.TaskTemplate?.Resources?.Reservations).ToList();
                    var running = tasks.Where(t => t.Status?.State == TaskState.Running).Select(t => ours[t.ServiceID!])
                        .DistinctBy(s => s.ID)
                        .Select(s => Guid.TryParse(Labels(s).GetValueOrDefault(ContainerLabels.ServiceId), out var id)
                            ? new RunningService(id, Labels(s).GetValueOrDefault(ContainerLabels.ServiceName, s.Spec?.Name ?? ""))
                            : null)
                        .OfType<RunningService>().OrderBy(r => r.ServiceName, StringComparer.Ordinal).ToList();
                    return new SchedulerNode(node.ID ?? "", node.Description?.Hostname ?? "", node.Spec?.Role ?? "", node.Spec?.Availability ?? "",
                        node.Status?.State ?? "unknown", node.Status?.Addr, node.Description?.Resources?.NanoCPUs ?? 0,
                        node.Description?.Resources?.MemoryBytes ?? 0, reserved.Sum(r => r?.NanoCPUs ?? 0), reserved.Sum(r => r?.MemoryBytes ?? 0), running);
                })
                .OrderBy(n => n.Role == "manager" ? 0 : 1).ThenBy(n => n.Hostname, StringComparer.Ordinal).ThenBy(n => n.Id, StringComparer.Ordinal)
                .ToList();
        });

    /// <summary>What the swarm's ready, active nodes have in all: the default budget all services share.</summary>
    public Task<EngineResources> GetResourcesAsync(CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var nodes = (await docker.Swarm.ListNodesAsync(cancellationToken))
                .Where(n => n.Status?.State == "ready" && n.Spec?.Availability == "active").ToList();
            return new EngineResources(nodes.Sum(n => n.Description?.Resources?.MemoryBytes ?? 0),
                (int)(nodes.Sum(n => n.Description?.Resources?.NanoCPUs ?? 0) / 1_000_000_000));
        });

    public Task<IReadOnlyList<string>> GetLogsAsync(ServiceContainer container, int tail, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var service = await InspectOursAsync(container, cancellationToken);
            using var stream = await docker.Swarm.GetServiceLogsAsync(service.ID, false, new ServiceLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Tail = tail.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, cancellationToken);
            return await EngineLogs.ReadLinesAsync(stream, cancellationToken);
        });

    /// <summary>Stats of the task's container when it runs on this engine's node; null elsewhere (no engine there to ask).</summary>
    public Task<ContainerUsage?> GetUsageAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        EngineCall.Run(async () =>
        {
            var service = await InspectOursAsync(container, cancellationToken);
            if (await RunningTaskAsync(service.ID, cancellationToken) is not { Status.ContainerStatus.ContainerID: { } containerId })
                return null;
            try
            {
                var frame = new LastFrame();
                await docker.Containers.GetContainerStatsAsync(containerId, new ContainerStatsParameters { Stream = false }, frame, cancellationToken);
                return frame.Value is null ? null : ContainerUsage.From(frame.Value);
            }
            catch (DockerContainerNotFoundException)
            {
                return null; // on another node
            }
        });

    private sealed class LastFrame : IProgress<ContainerStatsResponse>
    {
        public ContainerStatsResponse? Value { get; private set; }
        public void Report(ContainerStatsResponse value) => Value = value;
    }

    /// <summary>
    /// Waits for a task the last change made (not one of <paramref name="before"/>) to run, and returns its node's address.
    /// A task refused for its port, or failed before it ran, ends the wait with the reason Swarm gives.
    /// </summary>
    private async Task<string?> WaitForNewTaskAsync(string serviceId, IReadOnlySet<string> before, int hostPort, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Options.TaskStartTimeout;
        var last = "no task yet";
        while (true)
        {
            // Tasks of the change: not there before it (a failed one among them may already be marked for shutdown).
            var all = await TasksOfAsync(serviceId, cancellationToken);
            var tasks = all.Where(t => t.ID is not null && !before.Contains(t.ID)).ToList();
            // While a task of the service from before the change still lives (a restart stops the old one first), the new
            // one waits for the port the old one holds: that is no conflict, only a moment.
            var replacing = all.Any(t => t.ID is not null && before.Contains(t.ID) && !IsEnded(t.Status?.State));
            if (tasks.FirstOrDefault(t => t.Status?.State == TaskState.Running) is { NodeID: { } node })
                return await NodeAddressAsync(node, cancellationToken);
            foreach (var task in replacing ? [] : tasks)
            {
                var detail = $"{task.Status?.State}: {task.Status?.Err ?? task.Status?.Message}";
                last = detail;
                if (IsPortProblem(task.Status?.Err))
                {
                    // After a restart or start the port was this service's own, held by its previous task: Swarm's scheduler
                    // counts it as used a moment after that task ended, and places the new one once it sees it free (seen
                    // here under load: "host-mode port already in use on 1 node" right after the old task stopped).
                    // Only a first creation's port conflict is someone else's, and fails at once.
                    if (before.Count > 0 && task.Status?.State == TaskState.Pending)
                        continue;
                    throw new HostPortUnavailableException(hostPort, detail);
                }
                // Pending for want of a node: constraints no node meets, or no node with the memory and CPU it reserves.
                // Swarm would wait for one; the creation fails now, as it does for a full host on the containers path.
                if (task.Status?.State == TaskState.Pending && task.Status.Err?.StartsWith("no suitable node", StringComparison.Ordinal) == true)
                    throw new ContainerRuntimeException(
                        task.Status.Err.Contains("insufficient resources", StringComparison.Ordinal) ? FailureReasons.HostCapacity : FailureReasons.DockerError,
                        $"No swarm node can run this service now: {task.Status.Err}");
                if (task.Status?.State is TaskState.Rejected or TaskState.Failed)
                    throw new ContainerRuntimeException(FailureReasons.DockerError, $"The service's task did not run: {detail}");
            }
            if (DateTime.UtcNow > deadline)
                throw new ContainerRuntimeException(FailureReasons.DockerError,
                    $"No task of the service ran within {Options.TaskStartTimeout.TotalSeconds:0} s (Scheduler:Swarm:TaskStartTimeout); last: {last}");
            await Task.Delay(Poll, cancellationToken);
        }
    }

    private static bool IsEnded(TaskState? state) =>
        state is TaskState.Complete or TaskState.Shutdown or TaskState.Failed or TaskState.Rejected or TaskState.Remove or TaskState.Orphaned;

    /// <summary>Pending for want of a node with the port free, or refused by the node when it bound it.</summary>
    private static bool IsPortProblem(string? error) =>
        error is not null && (error.Contains("host-mode port already in use", StringComparison.OrdinalIgnoreCase) ||
                              error.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase) ||
                              error.Contains("address already in use", StringComparison.OrdinalIgnoreCase));

    /// <summary>Our instance's services, by their labels.</summary>
    private async Task<IList<SwarmService>> OurServicesAsync(CancellationToken cancellationToken) =>
        await docker.Swarm.ListServicesAsync(new ServiceListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{ContainerLabels.Managed}=true"] = true,
                    [$"{ContainerLabels.Instance}={Docker.Instance}"] = true,
                },
            },
        }, cancellationToken);

    /// <summary>Every task of the swarm Swarm means to run (desired state running), whatever state it is in now.</summary>
    private async Task<IList<TaskResponse>> TasksMeantToRunAsync(CancellationToken cancellationToken) =>
        await docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["desired-state"] = new Dictionary<string, bool> { ["running"] = true } },
        }, cancellationToken);

    private async Task<IList<TaskResponse>> TasksOfAsync(string serviceId, CancellationToken cancellationToken) =>
        await docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        }, cancellationToken);

    private async Task<HashSet<string>> TaskIdsAsync(string serviceId, CancellationToken cancellationToken) =>
        (await TasksOfAsync(serviceId, cancellationToken)).Select(t => t.ID!).ToHashSet();

    private async Task<TaskResponse?> RunningTaskAsync(string serviceId, CancellationToken cancellationToken) =>
        (await TasksOfAsync(serviceId, cancellationToken)).FirstOrDefault(t => t.Status?.State == TaskState.Running);

    private async Task<string?> NodeAddressAsync(string nodeId, CancellationToken cancellationToken) =>
        (await docker.Swarm.InspectNodeAsync(nodeId, cancellationToken)).Status?.Addr;

    private async Task<Dictionary<string, string>> NodeAddressesAsync(CancellationToken cancellationToken) =>
        (await docker.Swarm.ListNodesAsync(cancellationToken)).Where(n => n is { ID: not null, Status.Addr: not null })
            .ToDictionary(n => n.ID!, n => n.Status!.Addr!);

    private async Task UpdateAsync(SwarmService service, Action<ServiceSpec> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var spec = service.Spec!;
            change(spec);
            try
            {
                // The version makes a concurrent change fail rather than be overwritten. Swarm itself bumps it right after a
                // creation or an update (it writes the endpoint and update status back), so a stale version is read again.
                await docker.Swarm.UpdateServiceAsync(service.ID!, new ServiceUpdateParameters { Service = spec, Version = (long)(service.Version?.Index ?? 0) },
                    cancellationToken);
                return;
            }
            catch (DockerApiException e) when (attempt < 10 && e.ResponseBody?.Contains("out of sequence", StringComparison.Ordinal) == true)
            {
                await Task.Delay(Poll / 4, cancellationToken);
                service = await docker.Swarm.InspectServiceAsync(service.ID!, cancellationToken);
            }
        }
    }

    /// <summary>The service a record names, once its labels say it is that service's here (Redis is writable by more than the worker).</summary>
    private async Task<SwarmService> InspectOursAsync(ServiceContainer container, CancellationToken cancellationToken)
    {
        var found = await docker.Swarm.InspectServiceAsync(container.Id, cancellationToken);
        if (ContainerLabels.BelongTo(Labels(found), Docker.Instance, container.ServiceId))
            return found;
        logger.LogError("Refused to act on Swarm service {SwarmServiceId} ({Name}): it does not carry the labels of service {ServiceId} in instance {Instance}",
            found.ID, found.Spec?.Name, container.ServiceId, Docker.Instance);
        throw new ForeignContainerException(container.Id, container.ServiceId);
    }

    private static IReadOnlyDictionary<string, string> Labels(SwarmService service) =>
        (IReadOnlyDictionary<string, string>?)service.Spec?.Labels ?? new Dictionary<string, string>();

    private static int? HostPortOf(SwarmService service) => (int?)service.Spec?.EndpointSpec?.Ports?.FirstOrDefault()?.PublishedPort;

    /// <summary>The service's own overlay network's name: one per service, so no two services share a network.</summary>
    private string NetworkName(string serviceId) => $"{Docker.Instance}-svc-{serviceId}";

    private async Task<string> EnsureServiceNetworkAsync(string serviceId, CancellationToken cancellationToken)
    {
        var name = NetworkName(serviceId);
        var existing = (await docker.Networks.ListNetworksAsync(new NetworksListParameters(), cancellationToken)).FirstOrDefault(n => n.Name == name);
        if (existing is not null)
            return existing.ID!; // made by an earlier delivery of this command (its name carries the service id)
        var created = await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = name,
            Driver = "overlay",
            // Not attachable: no standalone container (ours or an operator's) joins a service's network.
            Attachable = false,
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.Managed] = "true",
                [ContainerLabels.Instance] = Docker.Instance,
                [ContainerLabels.ServiceId] = serviceId,
            },
        }, cancellationToken);
        return created.ID!;
    }

    /// <summary>
    /// Removes the service's network once its tasks have let go of it (Swarm detaches them once they have stopped, after
    /// the service is removed). One still attached after a while is left for the next removal or an operator.
    /// </summary>
    private async Task RemoveServiceNetworkAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var name = NetworkName(serviceId.ToString("D"));
        // Its task may take the whole grace period to stop (a process that ignores SIGTERM is killed only then).
        var deadline = DateTime.UtcNow + Docker.StopGracePeriod + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var network = (await docker.Networks.ListNetworksAsync(new NetworksListParameters(), cancellationToken))
                .FirstOrDefault(n => n.Name == name && n.Labels is { } labels && labels.TryGetValue(ContainerLabels.Instance, out var instance) && instance == Docker.Instance);
            if (network is null)
                return;
            try
            {
                await docker.Networks.DeleteNetworkAsync(network.ID, cancellationToken);
                return;
            }
            // Still in use by a task shutting down. The engine says so with 403, 409 or 500, and with 400 ("FailedPrecondition:
            // network ... is in use by task ...") for a task of a node that was lost and has just come back.
            catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Conflict or HttpStatusCode.InternalServerError
                || (e.StatusCode == HttpStatusCode.BadRequest && e.ResponseBody?.Contains("in use", StringComparison.Ordinal) == true))
            {
                await Task.Delay(Poll, cancellationToken);
            }
            catch (DockerNetworkNotFoundException)
            {
                return;
            }
        }
        logger.LogWarning("Network {Network} of service {ServiceId} is still in use after its removal; left in place", name, serviceId);
    }
}
