using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Testing;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// <see cref="SwarmFixture"/>'s system on a one-node swarm whose manager is an engine of the run's own
/// (<c>infra/second-engine.sh up msg-mgr 19</c>: its own network namespace, data root, containerd, socket, hostname, and
/// no-new-privileges daemon-wide), so that the manager can be restarted for real without touching the shared engine.
/// The worker's <c>Docker:Endpoint</c> is that engine, both start-up checks on (it sets no-new-privileges; its firewall has
/// <c>infra/port-isolation.sh</c>'s rules, in its namespace). At the end it leaves the swarm and is brought down with all
/// it ran. Only alone: <c>--filter Category=SwarmFault</c>.
/// </summary>
public sealed class RestartableManagerSwarmFixture : SwarmFixture
{
    public const string NodeName = "msg-mgr";
    private const string NodeIndex = "19";

    /// <summary>The manager's address, in its own namespace: the host of every record.</summary>
    public const string ManagerAddress = "10.231.19.2";

    private SecondEngine? _engine;

    /// <summary>The manager's engine (its own socket; the same client across its restarts).</summary>
    public IDockerClient Manager { get; private set; } = null!;

    protected override async Task MakeSwarmAsync()
    {
        _engine = await SecondEngine.StartAsync(NodeName, NodeIndex);
        Manager = TestEnvironment.DockerClient(_engine.Endpoint);
        await _engine.RunInNamespaceAsync("port-isolation.sh", "install", PortRange);
        await Manager.Swarm.InitSwarmAsync(new SwarmInitParameters { ListenAddr = $"{ManagerAddress}:2377", AdvertiseAddr = ManagerAddress });
    }

    protected override async Task UnmakeSwarmAsync(IDockerClient docker)
    {
        try
        {
            if (Manager is not null)
                await LeaveSwarmAsync(Manager);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException)
        {
            // not answering: `down` below takes it whatever its state
        }
        finally
        {
            Manager?.Dispose();
            if (_engine is not null)
                await _engine.DisposeAsync();
        }
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        .. base.ExtraSettings(),
        new("Docker:Endpoint", _engine?.Endpoint ?? ""),
        new("Scheduler:Swarm:RequireNoNewPrivileges", "true"),
    ];

    /// <summary>The manager's dockerd stopped with SIGTERM, as a system shutdown stops it (its containers stop), and started again.</summary>
    public Task<string> RestartManagerAsync() => _engine!.RestartAsync();
}

[CollectionDefinition(Name)]
public sealed class RestartableManagerSwarmCollection : ICollectionFixture<RestartableManagerSwarmFixture>
{
    public const string Name = "swarm-restartable-manager";
}
