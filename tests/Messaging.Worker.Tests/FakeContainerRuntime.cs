using System.Collections.Concurrent;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Tests;

/// <summary>An engine in memory, with switches for the failures a real one produces.</summary>
public sealed class FakeContainerRuntime(IOptions<DockerOptions>? options = null) : IContainerRuntime
{
    private readonly string _instance = options?.Value.Instance ?? new DockerOptions().Instance;
    private int _next;

    public ConcurrentDictionary<string, FakeContainer> Containers { get; } = new();
    public ConcurrentBag<ContainerSpec> Created { get; } = [];
    public ConcurrentBag<string> Removed { get; } = [];

    /// <summary>Host ports the engine says are "already allocated" (held outside our reservations).</summary>
    public HashSet<int> PortsHeldElsewhere { get; } = [];

    /// <summary>How many of the next starts fail with "port is already allocated".</summary>
    public int RefuseNextStarts { get; set; }
    public ConcurrentBag<int> RefusedPorts { get; } = [];

    public ContainerRuntimeException? FailCreate { get; set; }
    public ContainerRuntimeException? FailStart { get; set; }

    /// <summary>Network checks so far, and the most that ran at the same time.</summary>
    public int NetworkChecks => _networkChecks;
    public int MostNetworkChecksAtOnce { get; private set; }
    /// <summary>How long a network check takes (0: at once).</summary>
    public TimeSpan NetworkCheckTakes { get; set; }
    private int _networkChecks, _networkChecksInside;
    private readonly Lock _networkCheckGate = new();

    public async Task EnsureNetworkAsync(CancellationToken cancellationToken)
    {
        if (FailCreate?.Reason == FailureReasons.DockerUnavailable)
            throw FailCreate;
        Interlocked.Increment(ref _networkChecks);
        var inside = Interlocked.Increment(ref _networkChecksInside);
        lock (_networkCheckGate)
            MostNetworkChecksAtOnce = Math.Max(MostNetworkChecksAtOnce, inside);
        if (NetworkCheckTakes > TimeSpan.Zero)
            await Task.Delay(NetworkCheckTakes, cancellationToken);
        Interlocked.Decrement(ref _networkChecksInside);
    }

    public Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        if (FailCreate is not null)
            throw FailCreate;
        var id = $"fake{Interlocked.Increment(ref _next):D4}";
        if (!Containers.TryAdd(spec.Name, new FakeContainer(id, spec, false)))
            throw new ContainerNameConflictException(spec.Name);
        Created.Add(spec);
        return Task.FromResult(id);
    }

    public Task<string?> StartAsync(ServiceContainer container, int hostPort, CancellationToken cancellationToken)
    {
        var containerId = Ours(container).Id;
        if (FailStart is not null)
            throw FailStart;
        if (RefuseNextStarts > 0)
        {
            RefuseNextStarts--;
            RefusedPorts.Add(hostPort);
            throw new HostPortUnavailableException(hostPort, "Bind for 127.0.0.1 failed: port is already allocated");
        }
        if (PortsHeldElsewhere.Contains(hostPort))
            throw new HostPortUnavailableException(hostPort, "Bind for 127.0.0.1 failed: port is already allocated");
        var entry = Containers.Single(c => c.Value.Id == containerId);
        Containers[entry.Key] = entry.Value with { Running = true };
        return Task.FromResult<string?>(null);
    }

    public Task<ExistingContainer?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Containers.TryGetValue(name, out var c)
            ? new ExistingContainer(c.Id, c.Spec.Labels, c.Running, c.Spec.Port.HostPort == 0 ? null : c.Spec.Port.HostPort)
            : null);

    public Task RemoveAsync(ServiceContainer container, CancellationToken cancellationToken)
    {
        if (FailLifecycle is not null)
            throw FailLifecycle;
        if (Find(container.Id) is null)
            return Task.CompletedTask;
        var containerId = Ours(container).Id;
        foreach (var entry in Containers.Where(c => c.Value.Id == containerId).ToList())
            Containers.TryRemove(entry.Key, out _);
        Removed.Add(containerId);
        return Task.CompletedTask;
    }

    public Task<bool> ExistsAsync(ServiceContainer container, CancellationToken cancellationToken) =>
        Task.FromResult(Find(container.Id) is { } found && ContainerLabels.BelongTo(found.Spec.Labels, _instance, container.ServiceId));

    /// <summary>What a real engine's inspect resolves: an id or a name.</summary>
    private FakeContainer? Find(string idOrName) =>
        Containers.Values.FirstOrDefault(c => c.Id == idOrName) ?? Containers.GetValueOrDefault(idOrName);

    /// <summary>The same label check as the real runtime: a container that is not the service's is refused.</summary>
    private FakeContainer Ours(ServiceContainer container)
    {
        var found = Find(container.Id) ?? throw new ContainerRuntimeException(FailureReasons.DockerError, $"No such container: {container.Id}");
        return ContainerLabels.BelongTo(found.Spec.Labels, _instance, container.ServiceId)
            ? found
            : throw new ForeignContainerException(container.Id, container.ServiceId);
    }

    /// <summary>Set to make the next stop, restart or remove fail.</summary>
    public ContainerRuntimeException? FailLifecycle { get; set; }

    public int Stops => _stops;
    private int _stops;

    public Task StopAsync(ServiceContainer container, CancellationToken cancellationToken)
    {
        var stopped = SetRunning(container, false);
        Interlocked.Increment(ref _stops);
        return stopped;
    }

    public Task RestartAsync(ServiceContainer container, CancellationToken cancellationToken) => SetRunning(container, true);

    private Task SetRunning(ServiceContainer container, bool running)
    {
        if (FailLifecycle is not null)
            throw FailLifecycle;
        var containerId = Ours(container).Id;
        var entry = Containers.Single(c => c.Value.Id == containerId);
        Containers[entry.Key] = entry.Value with { Running = running };
        return Task.CompletedTask;
    }

    /// <summary>What the fake engine's host has (its <c>/info</c>).</summary>
    public EngineResources Resources { get; set; } = new(8L * 1024 * 1024 * 1024, 4);
    public int ResourceQueries => _resourceQueries;
    private int _resourceQueries;

    public Task<EngineResources> GetResourcesAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _resourceQueries);
        if (FailCreate?.Reason == FailureReasons.DockerUnavailable)
            throw FailCreate;
        return Task.FromResult(Resources);
    }

    /// <summary>One node, as one engine is: the host's resources, and the limits and names of the running containers of services.</summary>
    public Task<IReadOnlyList<SchedulerNode>> ListNodesAsync(CancellationToken cancellationToken)
    {
        if (FailCreate?.Reason == FailureReasons.DockerUnavailable)
            throw FailCreate;
        var running = Containers.Values.Where(c => c.Running && c.Spec.Labels.ContainsKey(ContainerLabels.ServiceId)).ToList();
        return Task.FromResult<IReadOnlyList<SchedulerNode>>(
        [
            new SchedulerNode("fake-engine", "fake-host", "engine", "active", "ready", "127.0.0.1", Resources.Cpus * 1_000_000_000L, Resources.MemoryBytes,
                running.Sum(c => c.Spec.NanoCpus), running.Sum(c => c.Spec.MemoryBytes),
                [.. running.Select(c => new RunningService(Guid.Parse(c.Spec.Labels[ContainerLabels.ServiceId]), c.Spec.Labels.GetValueOrDefault(ContainerLabels.ServiceName, c.Spec.Name)))]),
        ]);
    }

    public Task<IReadOnlyList<string>> GetLogsAsync(ServiceContainer container, int tail, CancellationToken cancellationToken)
    {
        var containerId = Ours(container).Id;
        return Task.FromResult<IReadOnlyList<string>>([.. Enumerable.Range(1, 5).Select(i => $"line {i} of {containerId}").TakeLast(tail)]);
    }

    /// <summary>Figures for a running container: its memory limit, and the same made-up readings every time.</summary>
    public Task<ContainerUsage?> GetUsageAsync(ServiceContainer container, CancellationToken cancellationToken)
    {
        var found = Ours(container);
        return Task.FromResult(found.Running
            ? new ContainerUsage(DateTimeOffset.UtcNow, 12.5, 2, 3 << 20, found.Spec.MemoryBytes, 1000, 2000, 4096, 8192, 3)
            : null);
    }

    /// <summary>
    /// Where a container's "task" runs, as Swarm's adapter reports it, by container name: its node's address and hostname,
    /// or (address null) why none runs. Containers without an entry are reported as one engine reports them.
    /// </summary>
    public ConcurrentDictionary<string, (string? Address, string? Node, (string Reason, string Detail)? Why)> SwarmPlacement { get; } = new();

    public Task<IReadOnlyList<ManagedContainer>> ListManagedAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ManagedContainer>>([.. Containers.Values.Select(c =>
        {
            var port = c.Spec.Port.HostPort == 0 ? null : c.Spec.Port;
            var container = new ManagedContainer(c.Id, c.Spec.Name, c.Spec.Image, c.Spec.Labels, c.Running, DateTimeOffset.UtcNow,
                c.Spec.MemoryBytes, c.Spec.NanoCpus, port?.InternalPort, port?.HostAddress, port?.HostPort);
            return SwarmPlacement.TryGetValue(c.Spec.Name, out var placed)
                ? container with { HostAddress = placed.Address, NodeName = placed.Node, NotRunningBecause = placed.Address is null ? placed.Why : null }
                : container;
        })]);

    /// <summary>Puts a container there as if someone else (or an earlier delivery) had made it.</summary>
    public void Add(string name, IReadOnlyDictionary<string, string> labels, bool running = true) =>
        Containers[name] = new FakeContainer($"pre{Interlocked.Increment(ref _next):D4}", new ContainerSpec
        {
            Name = name, Image = "", Labels = labels, Port = new PublishedPort(0, "", 0), MemoryBytes = 0, NanoCpus = 0,
            PidsLimit = 0, User = "", ReadOnlyRootfs = false, Network = "", Logs = new LogLimits("", 0),
        }, running);
}

public sealed record FakeContainer(string Id, ContainerSpec Spec, bool Running);
