using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Testing;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// <see cref="SwarmFixture"/>'s system on a two-node swarm made on this one machine: the shared engine as the manager,
/// advertising the host side of a veth pair, and a second engine of the run's own (<c>infra/second-engine.sh</c>: its
/// own network namespace, data root, containerd, socket, hostname, and no-new-privileges daemon-wide) joined as a worker
/// node. Swarm traffic stays on that veth pair (10.231.18.0/30). At the end: both engines leave the swarm, the second
/// engine is brought down with everything in it, and the shared engine is inactive again. Only under
/// <c>/work/it.lock</c> and alone: <c>--filter Category=SwarmFault</c> (no default run includes it).
/// </summary>
public sealed class TwoNodeSwarmFixture : SwarmFixture
{
    public const string NodeName = "msg-swarm";
    private const string NodeIndex = "18";

    /// <summary>The manager's address (the host side of the veth pair): what the records of its services' say as host.</summary>
    public const string ManagerAddress = "10.231.18.1";

    /// <summary>The second node's address, in its own namespace.</summary>
    public const string WorkerAddress = "10.231.18.2";

    private Messaging.Testing.SecondEngine? _node;

    /// <summary>The second engine's client (its own socket).</summary>
    public IDockerClient SecondEngine { get; private set; } = null!;

    public string ManagerNodeId { get; private set; } = "";
    public string WorkerNodeId { get; private set; } = "";

    protected override async Task MakeSwarmAsync()
    {
        _node = await Messaging.Testing.SecondEngine.StartAsync(NodeName, NodeIndex);
        SecondEngine = TestEnvironment.DockerClient(_node.Endpoint);
        // The second node's firewall, in its own namespace (the manager's is installed by the base fixture).
        await _node.RunInNamespaceAsync("port-isolation.sh", "install", PortRange);

        ManagerNodeId = await Docker.Swarm.InitSwarmAsync(new SwarmInitParameters
        {
            ListenAddr = $"{ManagerAddress}:2377", AdvertiseAddr = ManagerAddress,
        });
        var tokens = (await Docker.Swarm.InspectSwarmAsync()).JoinTokens!;
        await SecondEngine.Swarm.JoinSwarmAsync(new SwarmJoinParameters
        {
            RemoteAddrs = [$"{ManagerAddress}:2377"], JoinToken = tokens.Worker, ListenAddr = $"{WorkerAddress}:2377", AdvertiseAddr = WorkerAddress,
        });
        WorkerNodeId = (await SecondEngine.System.GetSystemInfoAsync()).Swarm!.NodeID!;
        await WaitForNodeAsync(WorkerNodeId, "ready", TimeSpan.FromSeconds(60));
    }

    protected override async Task UnmakeSwarmAsync(IDockerClient docker)
    {
        try
        {
            if (SecondEngine is not null)
            {
                try
                {
                    await LeaveSwarmAsync(SecondEngine);
                }
                catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException)
                {
                    // killed by a scenario and not up again: `down` below takes it whatever its state
                }
            }
            await LeaveSwarmAsync(docker);
        }
        finally
        {
            SecondEngine?.Dispose();
            if (_node is not null)
                await _node.DisposeAsync();
        }
    }

    /// <summary>Waits until Swarm reports the node in <paramref name="state"/> (ready, down); returns how long that took.</summary>
    public async Task<TimeSpan> WaitForNodeAsync(string nodeId, string state, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var node = await Docker.Swarm.InspectNodeAsync(nodeId);
            if (node.Status?.State == state)
                return clock.Elapsed;
            if (clock.Elapsed > timeout)
                throw new Xunit.Sdk.XunitException($"node {nodeId} is {node.Status?.State}, not {state}, after {timeout.TotalSeconds} s");
            await Task.Delay(250);
        }
    }

    /// <summary>Sets the second node's availability (active, drain), as <c>docker node update --availability</c> does.</summary>
    public async Task SetAvailabilityAsync(string nodeId, string availability)
    {
        for (var attempt = 1; ; attempt++)
        {
            var node = await Docker.Swarm.InspectNodeAsync(nodeId);
            try
            {
                await Docker.Swarm.UpdateNodeAsync(nodeId, node.Version!.Index!.Value, new NodeUpdateParameters
                {
                    Role = node.Spec!.Role, Availability = availability, Name = node.Spec.Name, Labels = node.Spec.Labels ?? new Dictionary<string, string>(),
                });
                return;
            }
            catch (DockerApiException e) when (attempt < 20 && e.ResponseBody?.Contains("out of sequence", StringComparison.Ordinal) == true)
            {
                await Task.Delay(100); // the manager wrote the node's record (its status) since it was read
            }
        }
    }

    /// <summary>The second node lost as a power loss would lose it: its engine and all it ran, SIGKILLed at once.</summary>
    public Task KillSecondEngineAsync() => _node!.KillAsync();

    /// <summary>The second engine started again on its data root (it rejoins the swarm as the same node).</summary>
    public async Task RestartSecondEngineAsync()
    {
        SecondEngine.Dispose();
        await _node!.UpAsync();
        SecondEngine = TestEnvironment.DockerClient(_node.Endpoint);
    }
}

[CollectionDefinition(Name)]
public sealed class TwoNodeSwarmCollection : ICollectionFixture<TwoNodeSwarmFixture>
{
    public const string Name = "swarm-two-nodes";
}
