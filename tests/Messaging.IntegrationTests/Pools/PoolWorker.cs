using Docker.DotNet;
using Messaging.State;
using Messaging.State.Pools;
using Messaging.Testing;
using Messaging.Worker;
using Messaging.Worker.Pools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Messaging.IntegrationTests.Pools;

/// <summary>
/// A worker with warm pools on the real broker, Redis and engine, in a corner of its own: its own RabbitMQ virtual host
/// (so it never takes the other tests' commands), instance label, key prefix and port range. nginx:alpine (entry 0 of
/// the worker's appsettings.json) is pooled with a 256m / 0.5 CPU profile.
/// </summary>
public sealed class PoolWorker : IAsyncDisposable
{
    private IHost _host = null!;

    private PoolWorker(SystemSettings settings) => Settings = settings;

    public SystemSettings Settings { get; }
    public EventListener Events { get; private set; } = null!;
    public IDockerClient Docker { get; } = TestEnvironment.DockerClient();
    public IServiceProvider Services => _host.Services;
    public PoolState State => Services.GetRequiredService<PoolState>();
    public IDatabase Redis => Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
    public RedisKeys Keys => Services.GetRequiredService<RedisKeys>();
    public PoolDefinition Pool => Services.GetRequiredService<PoolDefinitions>().All[0];
    public string Instance => Settings.Instance;

    public static async Task<PoolWorker> StartAsync(string instance, int portMin, IDictionary<string, string?>? pools = null)
    {
        var vhost = $"{instance}-vhost";
        await PublisherPermissionsTests.Run("rabbitmqctl", ["-q", "add_vhost", vhost]);
        await PublisherPermissionsTests.Run("rabbitmqctl", ["-q", "set_permissions", "-p", vhost, TestEnvironment.RabbitMq.Username, ".*", ".*", ".*"]);
        var worker = new PoolWorker(new SystemSettings
        {
            Instance = instance, KeyPrefix = $"it:{Guid.NewGuid():N}:", PortMin = portMin, PortMax = portMin + 99, VHost = vhost,
            Network = null, HealthFile = Path.Combine(Path.GetTempPath(), $"messaging-{instance}-{Guid.NewGuid():N}.health"),
        });
        await worker.CleanEngineAsync();
        worker.Events = await EventListener.StartAsync(vhost);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = TestPaths.ProjectDirectory("Messaging.Worker") });
        builder.Configuration.AddInMemoryCollection(worker.Settings.ToConfiguration());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pools:Enabled"] = "true",
            ["Pools:MaxMembers"] = "4",
            ["Pools:SweepInterval"] = "00:00:00.300",
            ["Pools:Entries:0:Image"] = "nginx:alpine",
            ["Pools:Entries:0:Memory"] = "256m",
            ["Pools:Entries:0:Cpus"] = "0.5",
            ["Pools:Entries:0:Size"] = "2",
            ["Reconciler:Interval"] = "00:00:01",
        });
        builder.Configuration.AddInMemoryCollection(pools ?? new Dictionary<string, string?>());
        builder.AddWorker();
        worker._host = builder.Build();
        await worker._host.StartAsync();
        return worker;
    }

    /// <summary>Waits until the pool holds <paramref name=PoolMemberStates.Idle/> idle members; their ids.</summary>
    public async Task<IReadOnlyList<Guid>> WaitForIdleAsync(int idle, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var members = (await State.MembersAsync()).Where(m => m.State == PoolMemberStates.Idle).Select(m => m.MemberId).ToList();
            if (members.Count == idle)
                return members;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The pool has {members.Count} idle members, not {idle}.");
            await Task.Delay(100);
        }
    }

    /// <summary>The member containers of this worker on the engine (claimed ones included).</summary>
    public async Task<IList<Docker.DotNet.Models.ContainerListResponse>> MemberContainersAsync() =>
        (await SystemCleanup.ContainersAsync(Docker, Instance)).Where(c => c.Labels.ContainsKey(PoolLabels.Member)).ToList();

    public async Task StopAsync()
    {
        await _host.StopAsync();
    }

    private async Task CleanEngineAsync()
    {
        await SystemCleanup.RemoveContainersAsync(Docker, Instance);
        await SystemCleanup.RemoveVolumesAsync(Docker, Instance);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync();
        }
        catch (OperationCanceledException)
        {
        }
        await CleanEngineAsync();
        await SystemCleanup.DeleteKeysAsync(Services.GetRequiredService<IConnectionMultiplexer>(), Settings.KeyPrefix);
        await Events.DisposeAsync();
        _host.Dispose();
        Docker.Dispose();
        await PublisherPermissionsTests.Run("rabbitmqctl", ["-q", "delete_vhost", $"{Instance}-vhost"]);
    }
}
