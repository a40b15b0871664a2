using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Testing;
using StackExchange.Redis;

namespace Messaging.FaultTests.Harness;

/// <summary>
/// One fault scenario: its own Redis server, the fault vhost (queues purged), the tests' bus, the workers,
/// optionally a socket proxy in front of the engine, and the commands it published. Everything it starts
/// is ended in <see cref="DisposeAsync"/>, also when the test fails; its containers are removed by label
/// before and after.
/// </summary>
internal sealed class Scenario : IAsyncDisposable
{
    public const string Instance = "fault-tests";
    public const string Network = "messaging-faults-net";
    public const int PortMin = 16000;
    public const int PortMax = 16999;
    public const string KeyPrefix = "faults:";

    private static readonly string[] WorkerQueues =
    [
        CommandQueues.CreateService, CommandQueues.CreateService + "_error", CommandQueues.CreateService + "_skipped",
        CommandQueues.ServiceLifecycle, CommandQueues.ServiceLifecycle + "_error", CommandQueues.ServiceLifecycle + "_skipped",
        CommandQueues.ServiceLogs, CommandQueues.ServiceLogs + "_error",
        CommandQueues.ServiceStats, CommandQueues.ServiceStats + "_error", FaultBus.EventQueue,
    ];

    private readonly ITestOutputHelper _output;
    private readonly List<WorkerProcess> _workers = [];
    private readonly List<CreateService> _commands = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _sampling = new();
    private Task? _sampler;
    private int _workerCount;

    private Scenario(string name, string title, ITestOutputHelper output, string logDirectory, string engineEndpoint)
    {
        EngineEndpoint = engineEndpoint;
        Docker = TestEnvironment.DockerClient(engineEndpoint);
        Name = name;
        Title = title;
        _output = output;
        LogDirectory = logDirectory;
        Keys = new RedisKeys(KeyPrefix);
    }

    public string Name { get; }
    public string Title { get; }
    public string LogDirectory { get; }
    public RedisKeys Keys { get; }
    public RedisServer Redis { get; private set; } = null!;
    public FaultBus Bus { get; private set; } = null!;
    /// <summary>The engine the scenario's workers use and its checks look at: the shared one, or a <see cref="SecondEngine"/>.</summary>
    public string EngineEndpoint { get; }
    public DockerClient Docker { get; }
    public DockerSocketProxy? Proxy { get; private set; }
    public IReadOnlyList<CreateService> Commands => _commands;
    public IReadOnlyList<WorkerProcess> Workers => _workers;

    /// <summary>Fault-specific facts for the table (kills, pauses, outage length...).</summary>
    public List<(string Name, Func<string> Value)> Facts { get; } = [];

    public void Fact(string name, Func<string> value) => Facts.Add((name, value));

    /// <summary>Most services seen holding the same port in the service-ports hash, sampled every 250 ms.</summary>
    public int MaxServicesOnOneReservedPort { get; private set; }

    public double Seconds => _clock.Elapsed.TotalSeconds;

    public static async Task<Scenario> StartAsync(string name, string title, ITestOutputHelper output, string? engineEndpoint = null)
    {
        ChildProcess.KillLeftovers();
        var logDirectory = Path.Combine(Paths.Results, "logs", $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(logDirectory);
        var scenario = new Scenario(name, title, output, logDirectory, engineEndpoint ?? TestEnvironment.DockerEndpoint);
        try
        {
            await scenario.RemoveContainersAsync();
            await scenario.RemoveNetworksAsync();
            await Rabbit.EnsureVHostAsync();
            await Rabbit.PurgeAsync(WorkerQueues);
            scenario.Redis = await RedisServer.StartAsync(logDirectory);
            scenario.Bus = await FaultBus.StartAsync(Rabbit.VHost);
            scenario._sampler = scenario.SampleReservations(scenario._sampling.Token);
            scenario.Log($"{title}: redis-server on port {scenario.Redis.Port}, logs in {logDirectory}");
        }
        catch
        {
            await scenario.DisposeAsync();
            throw;
        }
        return scenario;
    }

    public void Log(string text) => _output.WriteLine($"[{Seconds,7:F1}s] {text}");

    public WorkerSettings Settings(TimeSpan? reconcilerInterval = null, string? dockerEndpoint = null) =>
        new(Redis.Configuration, KeyPrefix, dockerEndpoint ?? EngineEndpoint, reconcilerInterval ?? TimeSpan.FromSeconds(3));

    public WorkerProcess StartWorker(WorkerSettings? settings = null)
    {
        var worker = WorkerProcess.Start($"worker{++_workerCount}", settings ?? Settings(), LogDirectory);
        _workers.Add(worker);
        Log($"started {worker.Name} (pid {worker.Pid})");
        return worker;
    }

    public DockerSocketProxy StartProxy()
    {
        Proxy = new DockerSocketProxy(Path.Combine(Path.GetTempPath(), $"messaging-faults-{Guid.NewGuid():N}"[..32] + ".sock"));
        Proxy.Start();
        return Proxy;
    }

    /// <summary>Publishes <paramref name="count"/> creations, each confirmed by the broker before the next.</summary>
    /// <param name="shape">Changes each command (another image, environment, restart policy) before it is published.</param>
    public async Task<IReadOnlyList<CreateService>> PublishCreatesAsync(int count, string batch = "a", Func<CreateService, CreateService>? shape = null)
    {
        var published = new List<CreateService>(count);
        var salt = Guid.NewGuid().ToString("N")[..4];
        for (var i = 0; i < count; i++)
        {
            var command = new CreateService
            {
                CommandId = Guid.NewGuid(),
                ServiceId = Guid.NewGuid(),
                ServiceName = $"ft-{Name}-{batch}{i:000}-{salt}",
                Image = "nginx:alpine",
                MemoryLimit = "32m",
                CpuLimit = 0.1,
                RequestedBy = "fault-tests",
                RequestedAt = DateTimeOffset.UtcNow,
            };
            command = shape?.Invoke(command) ?? command;
            await Bus.PublishConfirmedAsync(command);
            published.Add(command);
            lock (_commands)
                _commands.Add(command);
        }
        Log($"published {count} CreateService (batch {batch}), each confirmed");
        return published;
    }

    /// <summary>The terminal events (created or failed) received so far for a command.</summary>
    public List<object> OutcomesOf(Guid commandId) =>
        [.. Bus.Events.Select(e => e.Message).Where(m => m is ServiceCreated c && c.CommandId == commandId || m is ServiceCreationFailed f && f.CommandId == commandId)];

    public int TerminalCount(IEnumerable<CreateService> commands)
    {
        var done = Bus.Events.Select(e => e.Message switch
        {
            ServiceCreated c => c.CommandId,
            ServiceCreationFailed f => f.CommandId,
            _ => Guid.Empty,
        }).ToHashSet();
        return commands.Count(c => done.Contains(c.CommandId));
    }

    public int CreatedCount => Bus.All<ServiceCreated>().Select(c => c.CommandId).Distinct().Count();

    /// <summary>Waits until every given command has a terminal event; false on timeout.</summary>
    public async Task<bool> WaitForTerminalAsync(IReadOnlyCollection<CreateService> commands, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var lastLogged = DateTime.UtcNow;
        while (true)
        {
            var done = TerminalCount(commands);
            if (done == commands.Count)
            {
                Log($"{done}/{commands.Count} commands have a terminal event");
                return true;
            }
            if (DateTime.UtcNow > deadline)
            {
                Log($"timeout: {done}/{commands.Count} commands have a terminal event");
                return false;
            }
            if (DateTime.UtcNow - lastLogged > TimeSpan.FromSeconds(10))
            {
                Log($"waiting: {done}/{commands.Count} terminal");
                lastLogged = DateTime.UtcNow;
            }
            await Task.Delay(100);
        }
    }

    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(50);
        }
        return true;
    }

    private async Task SampleReservations(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var entries = await Redis.Db.HashGetAllAsync(Keys.ServicePorts);
                var worst = entries.GroupBy(e => e.Value.ToString()).Select(g => g.Count()).DefaultIfEmpty(0).Max();
                if (worst > MaxServicesOnOneReservedPort)
                    MaxServicesOnOneReservedPort = worst;
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException or InvalidOperationException)
            {
                await Task.Delay(250, CancellationToken.None);
            }
        }
    }

    /// <summary>Our containers (label messaging.instance=fault-tests), running or not, with the host port they are bound to.</summary>
    public async Task<List<ContainerFact>> ContainersAsync()
    {
        var listed = await SystemCleanup.ContainersAsync(Docker, Instance);
        var facts = new List<ContainerFact>();
        foreach (var item in listed)
        {
            ContainerInspectResponse inspect;
            try
            {
                inspect = await Docker.Containers.InspectContainerAsync(item.ID);
            }
            catch (DockerContainerNotFoundException)
            {
                continue;
            }
            var binding = inspect.HostConfig?.PortBindings?.Values.FirstOrDefault()?.FirstOrDefault();
            var labels = inspect.Config?.Labels ?? new Dictionary<string, string>();
            facts.Add(new ContainerFact(
                // The service's name (what the name reservation holds), not the instance-prefixed container name.
                inspect.ID, labels.TryGetValue("messaging.service-name", out var name) ? name : inspect.Name.TrimStart('/'),
                labels.TryGetValue("messaging.service-id", out var id) && Guid.TryParse(id, out var serviceId) ? serviceId : Guid.Empty,
                inspect.State?.Running ?? false,
                int.TryParse(binding?.HostPort, out var port) ? port : null));
        }
        return facts;
    }

    public Task<int> RemoveContainersAsync() => SystemCleanup.RemoveContainersAsync(Docker, Instance);

    /// <summary>
    /// Every scenario starts on an engine without the services network, so the worker's first-use path
    /// (check, then create the network with inter-container traffic off) runs under the scenario's load.
    /// </summary>
    public async Task RemoveNetworksAsync()
    {
        var networks = await Docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [Network] = true } },
        });
        foreach (var network in networks.Where(n => n.Name == Network))
        {
            // Endpoints of containers removed a moment ago can linger briefly: retry a few times.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await Docker.Networks.DeleteNetworkAsync(network.ID);
                    break;
                }
                catch (DockerNetworkNotFoundException)
                {
                    break;
                }
                catch (DockerApiException e) when (attempt < 4)
                {
                    _ = e;
                    await Task.Delay(500);
                }
                catch (DockerApiException e)
                {
                    // Docker 20.10 can keep a stale endpoint after containers were force-removed mid-create; the
                    // network is still valid (one network, inter-container traffic off), so the scenario uses it.
                    Log($"network {network.ID[..12]} kept: {e.Message}");
                    break;
                }
            }
        }
    }

    /// <summary>How many networks carry the services network's name (more than one makes every create fail).</summary>
    public async Task<int> NetworksNamedAsync() =>
        (await Docker.Networks.ListNetworksAsync(new NetworksListParameters())).Count(n => n.Name == Network);

    public async ValueTask DisposeAsync()
    {
        await _sampling.CancelAsync();
        if (_sampler is not null)
            await _sampler;
        foreach (var worker in _workers)
        {
            try
            {
                await worker.DisposeAsync();
            }
            catch (Exception e)
            {
                _output.WriteLine($"stopping {worker.Name}: {e.Message}");
            }
        }
        if (Proxy is not null)
            await Proxy.DisposeAsync();
        if (Bus is not null)
            await Bus.DisposeAsync();
        if (Redis is not null)
            await Redis.DisposeAsync();
        try
        {
            await RemoveContainersAsync();
        }
        catch (Exception e)
        {
            _output.WriteLine($"removing containers: {e.Message}");
        }
        Docker.Dispose();
        _sampling.Dispose();
    }
}

/// <summary>What the engine says about one of our containers; <c>Name</c> is the service name from its label.</summary>
internal sealed record ContainerFact(string Id, string Name, Guid ServiceId, bool Running, int? HostPort);
