using Messaging.State.Locks;
using Messaging.Worker.Provisioning;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>Two workers starting together on a fresh engine check for (and create) the network one at a time.</summary>
[Trait("Requires", "Redis")]
public sealed class ServicesNetworkTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync();
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task Workers_sharing_a_Redis_never_make_the_network_at_the_same_time()
    {
        var engine = new FakeContainerRuntime { NetworkCheckTakes = TimeSpan.FromMilliseconds(50) };
        var locks = _worker.Services.GetRequiredService<InstallationLocks>();
        var workers = Enumerable.Range(0, 4).Select(_ => new ServicesNetwork(engine, locks)).ToList();

        await Task.WhenAll(workers.Select(w => Task.Run(() => w.EnsureAsync(default))));

        Assert.Equal(4, engine.NetworkChecks);
        Assert.Equal(1, engine.MostNetworkChecksAtOnce);
        Assert.False(await _worker.Redis.KeyExistsAsync(_worker.Keys.NetworkLock));

        await workers[0].EnsureAsync(default); // ready: no second look at the engine
        Assert.Equal(4, engine.NetworkChecks);
    }

    [Fact]
    public async Task One_worker_looks_at_the_engine_once_however_many_consumers_ask_together()
    {
        var engine = new FakeContainerRuntime { NetworkCheckTakes = TimeSpan.FromMilliseconds(50) };
        var network = new ServicesNetwork(engine, _worker.Services.GetRequiredService<InstallationLocks>());

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => network.EnsureAsync(default))));

        Assert.Equal(1, engine.NetworkChecks);
    }
}
