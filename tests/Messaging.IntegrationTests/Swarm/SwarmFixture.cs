using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Testing;
using Messaging.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// The whole system as <see cref="SystemFixture"/> builds it, with <c>Scheduler:Mode=swarm</c> on a one-node swarm made
/// on the shared engine for this run: <c>swarm init</c> (after leaving one a crashed run left) at the start, and
/// <c>swarm leave --force</c> at the end whatever happened, so the engine ends as it was found (inactive). Run only under
/// <c>/work/it.lock</c> or in CI, alone: <c>--filter Category=Swarm</c> (the default integration run excludes it, since
/// xunit would run it beside the containers fixture on the same broker queues).
/// </summary>
public class SwarmFixture : SystemFixture
{
    /// <summary>The image of the worker's no-new-privileges check here (has sh and grep).</summary>
    public const string ProbeImage = "messaging-test/busybox:latest";

    /// <summary>
    /// Whether the shared engine sets no-new-privileges daemon-wide. The session engine started by infra/services-up.sh does
    /// not (its compose stack's edge proxy relies on a file capability), so the fixture turns the worker's check off and
    /// <see cref="SwarmEndToEndTests"/> proves the refusal instead.
    /// </summary>
    public bool EngineSetsNoNewPrivileges { get; private set; }

    /// <summary>The published port range as <c>infra/port-isolation.sh</c> takes it (the run's <c>Ports:Min:Max</c>).</summary>
    public static string PortRange => $"{PortMin}:{PortMax}";

    /// <summary>
    /// One swarm fixture at a time in this process: xunit runs collections side by side, and every swarm fixture uses the
    /// run's queues and instance label (and most of them the shared engine's swarm state). Taken at the start, released
    /// at the end.
    /// </summary>
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);
    private int _holding;

    public override async Task InitializeAsync()
    {
        await OneAtATime.WaitAsync();
        _holding = 1;
        try
        {
            await MakeSystemAsync();
        }
        catch
        {
            LetTheNextOneIn();
            throw;
        }
    }

    /// <summary>Releases <see cref="OneAtATime"/> once, whether the start failed or the end came (or both).</summary>
    private void LetTheNextOneIn()
    {
        if (Interlocked.Exchange(ref _holding, 0) == 1)
            OneAtATime.Release();
    }

    private async Task MakeSystemAsync()
    {
        await LeaveSwarmAsync(Docker); // a run that crashed may have left one
        var info = await Docker.System.GetSystemInfoAsync();
        EngineSetsNoNewPrivileges = info.SecurityOptions?.Any(o => o.Contains("no-new-privileges", StringComparison.Ordinal)) == true;
        try
        {
            // This node's firewall as every node of a production swarm has it (the worker's start-up check requires it).
            await ClosePublishedPortsToTasksAsync();
            await MakeSwarmAsync();
            await base.InitializeAsync();
        }
        catch
        {
            await UnmakeSwarmAsync(Docker);
            await OpenPublishedPortsToTasksAsync();
            throw;
        }
    }

    /// <summary>The swarm of the run: this engine alone, a manager on 127.0.0.1.</summary>
    protected virtual Task MakeSwarmAsync() =>
        Docker.Swarm.InitSwarmAsync(new SwarmInitParameters { ListenAddr = "127.0.0.1:2377", AdvertiseAddr = "127.0.0.1" });

    /// <summary>Undoes <see cref="MakeSwarmAsync"/> whatever state it got to: the engine ends inactive.</summary>
    protected virtual Task UnmakeSwarmAsync(IDockerClient docker) => LeaveSwarmAsync(docker);

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Scheduler:Mode", "swarm"),
        new("Scheduler:Swarm:RequireNoNewPrivileges", EngineSetsNoNewPrivileges ? "true" : "false"),
        new("Scheduler:Swarm:RequirePortIsolation", "true"),
        new("Scheduler:Swarm:ProbeImage", ProbeImage),
        // SWARM_TASK_START_TIMEOUT (seconds) for long scenarios on a loaded machine (the hundred creations of the spread).
        new("Scheduler:Swarm:TaskStartTimeout",
            int.TryParse(Environment.GetEnvironmentVariable("SWARM_TASK_START_TIMEOUT"), out var seconds) && seconds is >= 10 and <= 600
                ? TimeSpan.FromSeconds(seconds).ToString("c") : "00:00:45"),
        // Short grace periods keep each stop, restart and removal short (a PID 1 without a SIGTERM handler waits them out).
        new("Docker:StopGracePeriod", "00:00:02"),
        // The tests run reconcile passes themselves, at the moments they mean (a pass of the worker's own timer in between
        // would announce a task's state a step early); only the pass at start runs by itself.
        new("Reconciler:Interval", "01:00:00"),
    ];

    public override async Task DisposeAsync()
    {
        using var docker = TestEnvironment.DockerClient();
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            try
            {
                await UnmakeSwarmAsync(docker); // leaving takes every service, task and overlay network of the swarm with it
                await OpenPublishedPortsToTasksAsync(); // the shared engine's host as it was found
            }
            finally
            {
                LetTheNextOneIn();
            }
        }
    }

    /// <summary><c>infra/port-isolation.sh install</c> on this host: tasks cannot open the run's port range.</summary>
    public static Task ClosePublishedPortsToTasksAsync() => InfraScript.RunAsync("port-isolation.sh", "install", PortRange);

    /// <summary><c>infra/port-isolation.sh remove</c> on this host: the rules gone, as on a node nobody has set up.</summary>
    public static Task OpenPublishedPortsToTasksAsync() => InfraScript.RunAsync("port-isolation.sh", "remove", PortRange);

    /// <summary>
    /// A worker host of this system (not started) with <paramref name="settings"/> over the run's: its start runs the
    /// swarm's start-up checks against every node for real.
    /// </summary>
    public IHost BuildWorker(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = TestPaths.ProjectDirectory("Messaging.Worker") });
        builder.Configuration.AddInMemoryCollection(HostSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))
            .Append(new("Health:File", Path.Combine(Path.GetTempPath(), $"messaging-swarm-{Guid.NewGuid():N}.health"))));
        builder.AddWorker();
        return builder.Build();
    }

    /// <summary>Leaves the swarm, if the engine is in one; the engine's state afterwards is inactive.</summary>
    public static async Task LeaveSwarmAsync(IDockerClient docker)
    {
        var state = (await docker.System.GetSystemInfoAsync()).Swarm?.LocalNodeState;
        if (state is "active" or "pending" or "error" or "locked")
            await docker.Swarm.LeaveSwarmAsync(new SwarmLeaveParameters { Force = true });
    }
}

[CollectionDefinition(Name)]
public sealed class SwarmCollection : ICollectionFixture<SwarmFixture>
{
    public const string Name = "swarm";
}
