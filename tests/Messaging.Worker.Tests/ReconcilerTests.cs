using Messaging.State.Reservations;
using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>The reconciler against real Redis and the fake engine.</summary>
[Trait("Requires", "Redis")]
public sealed class ReconcilerTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private Reconciler Reconciler => _worker.Services.GetRequiredService<Reconciler>();

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync();
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private async Task<ServiceCreated> CreateService(string name)
    {
        var command = WorkerHarness.Command(name: name);
        await _worker.Handle(command);
        return Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));
    }

    private async Task FlushRedis()
    {
        var server = _worker.Redis.Multiplexer.GetServers()[0];
        await foreach (var key in server.KeysAsync(pattern: _worker.KeyPrefix + "*"))
            await _worker.Redis.KeyDeleteAsync(key);
    }

    [Fact]
    public async Task After_redis_lost_everything_records_and_reservations_are_rebuilt_from_the_engine()
    {
        var a = await CreateService("svc-a");
        var b = await CreateService("svc-b");
        await FlushRedis();

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(2, report.Corrections[DriftKinds.RecordRebuilt]);
        Assert.Equal(2, report.Corrections[DriftKinds.ReservationRebuilt]);
        foreach (var created in new[] { a, b })
        {
            var record = await _worker.Records.GetAsync(created.ServiceId);
            Assert.Equal(ServiceStatus.Running, record!.Status);
            Assert.Equal(created.HostPort, record.HostPort);
            Assert.Equal(created.ContainerId, record.ContainerId);
            Assert.Equal("alice", record.Owner);
            Assert.Equal("128m", record.MemoryLimit);
            Assert.Equal(created.HostPort, await _worker.ReservedPort(created.ServiceId));
            Assert.Equal(created.ServiceId, await _worker.NameHolder(created.ServiceName));
        }
        Assert.Equal(2, (int)await _worker.Redis.HashGetAsync(_worker.Keys.Usage("alice"), "services"));
        Assert.True(await _worker.Harness.Published.Any<ServiceDriftCorrected>(e => e.Context.Message.Drift == DriftKinds.RecordRebuilt));

        // A second pass finds nothing left to do.
        Assert.Empty((await Reconciler.ReconcileAsync(default)).Corrections);
    }

    [Fact]
    public async Task A_vanished_container_marks_its_service_failed_and_frees_port_and_name()
    {
        var created = await CreateService("svc-gone");
        _worker.Engine.Containers.Clear();

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.ContainerVanished]);
        var record = await _worker.Records.GetAsync(created.ServiceId);
        Assert.Equal(ServiceStatus.Failed, record!.Status);
        Assert.Null(await _worker.ReservedPort(created.ServiceId));
        Assert.Null(await _worker.NameHolder("svc-gone"));
    }

    [Fact]
    public async Task A_stopped_container_of_a_running_service_corrects_the_status()
    {
        var created = await CreateService("svc-exited");
        _worker.Engine.Containers["svc-exited"] = _worker.Engine.Containers["svc-exited"] with { Running = false };

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.StatusCorrected]);
        Assert.Equal(ServiceStatus.Stopped, (await _worker.Records.GetAsync(created.ServiceId))!.Status);
    }

    [Fact]
    public async Task A_container_of_a_removed_service_is_reported_as_an_orphan_and_left_alone()
    {
        var created = await CreateService("svc-orphan");
        var container = _worker.Engine.Containers["svc-orphan"];
        var remove = new RemoveService { CommandId = NewId.NextGuid(), ServiceId = created.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await _worker.Handle(remove, remove.CommandId);
        _worker.Engine.Containers["svc-orphan"] = container; // as if the engine had kept it

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.OrphanFound]);
        Assert.True(_worker.Engine.Containers.ContainsKey("svc-orphan"));
    }

    [Fact]
    public async Task A_reservation_without_a_container_or_live_record_is_released()
    {
        var reservations = _worker.Services.GetRequiredService<PortReservations>();
        var stray = Guid.NewGuid();
        await reservations.ReserveAsync(stray, "stray", Allocation.Uncounted(), null, default);

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.ReservationReleased]);
        Assert.Null(await _worker.ReservedPort(stray));
        Assert.Null(await _worker.NameHolder("stray"));
    }
}
