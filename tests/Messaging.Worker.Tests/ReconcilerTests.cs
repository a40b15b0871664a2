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

    private async Task<CreateService> SeedPending(string name, bool unconfirmed, TimeSpan age)
    {
        var command = WorkerHarness.Command(name: name);
        var written = DateTimeOffset.UtcNow - age;
        await _worker.Records.SaveAsync(Messaging.State.ServiceRecord.ForCommand(command, ServiceStatus.Pending, written) with { Unconfirmed = unconfirmed });
        return command;
    }

    [Fact]
    public async Task An_unconfirmed_pending_record_no_worker_claimed_ends_failed_not_delivered_and_its_late_command_creates_nothing()
    {
        var lost = await SeedPending("svc-lost", unconfirmed: true, age: TimeSpan.FromMinutes(11));
        var young = await SeedPending("svc-young", unconfirmed: true, age: TimeSpan.FromMinutes(1));
        var queued = await SeedPending("svc-queued", unconfirmed: false, age: TimeSpan.FromMinutes(30));

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.CreationAbandoned]);
        var record = await _worker.Records.GetAsync(lost.ServiceId);
        Assert.Equal(ServiceStatus.Failed, record!.Status);
        Assert.Equal(FailureReasons.NotDelivered, record.FailureCode);
        Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == lost.ServiceId && e.Reason == FailureReasons.NotDelivered));
        // Younger than the expiry, or confirmed (the broker has it and a worker will get it): left pending.
        Assert.Equal(ServiceStatus.Pending, (await _worker.Records.GetAsync(young.ServiceId))!.Status);
        Assert.Equal(ServiceStatus.Pending, (await _worker.Records.GetAsync(queued.ServiceId))!.Status);

        // The broker did have it after all: the late command finds the record settled and creates nothing.
        await _worker.Handle(lost);
        Assert.Empty(_worker.Engine.Created);
        Assert.Empty(_worker.Published<ServiceCreated>(e => e.ServiceId == lost.ServiceId));
        Assert.Equal(FailureReasons.NotDelivered, (await _worker.Records.GetAsync(lost.ServiceId))!.FailureCode);
    }

    [Fact]
    public async Task A_worker_claim_clears_the_unconfirmed_mark_so_the_expiry_never_fails_the_service()
    {
        var command = await SeedPending("svc-claimed", unconfirmed: true, age: TimeSpan.FromMinutes(11));

        await _worker.Handle(command);
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));
        Assert.False((await _worker.Records.GetAsync(command.ServiceId))!.Unconfirmed);

        await Reconciler.ReconcileAsync(default);
        Assert.Equal(ServiceStatus.Running, (await _worker.Records.GetAsync(command.ServiceId))!.Status);
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
        _worker.Engine.Containers["unit-svc-exited"] = _worker.Engine.Containers["unit-svc-exited"] with { Running = false };

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.StatusCorrected]);
        Assert.Equal(ServiceStatus.Stopped, (await _worker.Records.GetAsync(created.ServiceId))!.Status);
    }

    [Fact]
    public async Task A_container_of_a_removed_service_is_reported_as_an_orphan_and_left_alone()
    {
        var created = await CreateService("svc-orphan");
        var container = _worker.Engine.Containers["unit-svc-orphan"];
        var remove = new RemoveService { CommandId = NewId.NextGuid(), ServiceId = created.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await _worker.Handle(remove, remove.CommandId);
        _worker.Engine.Containers["unit-svc-orphan"] = container; // as if the engine had kept it

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.OrphanFound]);
        Assert.True(_worker.Engine.Containers.ContainsKey("unit-svc-orphan"));
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

    /// <summary>A removal cut short: the record says removing (since <paramref name="age"/> ago), the engine call never came.</summary>
    private async Task<RemoveService> InterruptRemoval(ServiceCreated created, TimeSpan age)
    {
        var remove = new RemoveService { CommandId = NewId.NextGuid(), ServiceId = created.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await _worker.Records.BeginRemovalAsync(created.ServiceId, ServiceStatus.Running, remove.CommandId, "alice", DateTimeOffset.UtcNow - age);
        return remove;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stale_removal_is_finished_container_removed_port_name_and_quota_freed_and_its_command_answered(bool containerLeft)
    {
        var created = await CreateService("svc-halfway");
        var remove = await InterruptRemoval(created, TimeSpan.FromMinutes(3));
        if (!containerLeft)
            _worker.Engine.Containers.Clear(); // the engine finished the call its requester did not live to see

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(1, report.Corrections[DriftKinds.RemovalFinished]);
        Assert.False(report.Corrections.ContainsKey(DriftKinds.ContainerVanished));
        Assert.Empty(_worker.Engine.Containers);
        var record = await _worker.Records.GetAsync(created.ServiceId);
        Assert.Equal(ServiceStatus.Removed, record!.Status);
        Assert.Null(await _worker.ReservedPort(created.ServiceId));
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Ports, created.HostPort));
        Assert.Null(await _worker.NameHolder("svc-halfway"));
        Assert.Equal(0, (int)await _worker.Redis.HashGetAsync(_worker.Keys.Usage("alice"), "services"));
        var removed = Assert.Single(_worker.Published<ServiceRemoved>(e => e.CommandId == remove.CommandId));
        Assert.Equal(created.HostPort, removed.HostPort);

        // The command that began it, redelivered late, gets the same answer instead of wrong_state.
        await _worker.Handle(remove, remove.CommandId);
        Assert.Equal(2, _worker.Published<ServiceRemoved>(e => e.CommandId == remove.CommandId).Count);
        Assert.Empty(_worker.Published<ServiceCommandRejected>(e => e.CommandId == remove.CommandId));
    }

    [Fact]
    public async Task A_removal_younger_than_the_staleness_is_left_to_its_command()
    {
        var created = await CreateService("svc-young-removal");
        await InterruptRemoval(created, TimeSpan.FromSeconds(5));

        var report = await Reconciler.ReconcileAsync(default);

        Assert.False(report.Corrections.ContainsKey(DriftKinds.RemovalFinished));
        Assert.Equal(ServiceStatus.Removing, (await _worker.Records.GetAsync(created.ServiceId))!.Status);
        Assert.Single(_worker.Engine.Containers);
        Assert.Equal(created.HostPort, await _worker.ReservedPort(created.ServiceId));
    }
}
