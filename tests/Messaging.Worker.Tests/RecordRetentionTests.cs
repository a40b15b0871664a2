using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>
/// Failed and removed records expire after <c>Reconciler:RecordRetention</c> (7 days by default): a reconcile pass
/// deletes them with their index entries, and nothing a live service holds (name, port, quota) moves.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class RecordRetentionTests : IAsyncLifetime
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(7);
    private WorkerHarness _worker = null!;
    private Reconciler Reconciler => _worker.Services.GetRequiredService<Reconciler>();

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync();
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private async Task<ServiceRecord> Failed(string name, TimeSpan age)
    {
        var command = WorkerHarness.Command(name: name, image: "ubuntu:latest");
        await _worker.Handle(command);
        return await Age(command.ServiceId, age);
    }

    private async Task<ServiceRecord> Removed(string name, TimeSpan age)
    {
        var command = WorkerHarness.Command(name: name);
        await _worker.Handle(command);
        var remove = new RemoveService { CommandId = NewId.NextGuid(), ServiceId = command.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await _worker.Handle(remove, remove.CommandId);
        return await Age(command.ServiceId, age);
    }

    /// <summary>Rewrites the record as if it had last changed <paramref name="age"/> ago.</summary>
    private async Task<ServiceRecord> Age(Guid serviceId, TimeSpan age)
    {
        var record = (await _worker.Records.GetAsync(serviceId))! with { UpdatedAt = DateTimeOffset.UtcNow - age };
        await _worker.Records.SaveAsync(record);
        return record;
    }

    private async Task<bool> Indexed(ServiceRecord record) =>
        await _worker.Redis.SortedSetScoreAsync(_worker.Keys.AllServices, record.ServiceId.ToString("D")) is not null
        || await _worker.Redis.SortedSetScoreAsync(_worker.Keys.OwnerServices(record.Owner), record.ServiceId.ToString("D")) is not null;

    [Fact]
    public async Task Failed_and_removed_records_past_the_retention_are_deleted_with_their_index_entries()
    {
        var oldFailure = await Failed("svc-old-failure", Retention + TimeSpan.FromMinutes(1));
        var oldRemoval = await Removed("svc-old-removal", Retention + TimeSpan.FromMinutes(1));
        var newFailure = await Failed("svc-new-failure", Retention - TimeSpan.FromMinutes(1));
        var newRemoval = await Removed("svc-new-removal", Retention - TimeSpan.FromMinutes(1));

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(2, report.ExpiredRecords);
        Assert.Empty(report.Corrections);
        foreach (var gone in new[] { oldFailure, oldRemoval })
        {
            Assert.Null(await _worker.Records.GetAsync(gone.ServiceId));
            Assert.False(await Indexed(gone));
        }
        foreach (var kept in new[] { newFailure, newRemoval })
        {
            Assert.NotNull(await _worker.Records.GetAsync(kept.ServiceId));
            Assert.True(await Indexed(kept));
        }
        // Deleted quietly: retention is not drift, and the audit trail already has the story.
        Assert.Empty(_worker.Published<ServiceDriftCorrected>(_ => true));
        var (listed, _) = await _worker.Records.ListAsync("alice", ServiceStatus.Removed, 0, 50);
        Assert.Equal([newRemoval.ServiceId], listed.Select(r => r.ServiceId));
        var (all, _) = await _worker.Records.ListAsync(null, null, 0, 50);
        Assert.Equal([newFailure.ServiceId], all.Select(r => r.ServiceId));
    }

    [Fact]
    public async Task Live_services_keep_their_name_port_and_quota_and_the_expired_name_can_be_taken_again()
    {
        var live = WorkerHarness.Command(name: "svc-live");
        await _worker.Handle(live);
        var port = await _worker.ReservedPort(live.ServiceId);
        var usageBefore = await _worker.Redis.HashGetAllAsync(_worker.Keys.Usage("alice"));
        var hostUsageBefore = await _worker.Redis.HashGetAllAsync(_worker.Keys.HostUsage);
        var expired = await Removed("svc-reused", Retention + TimeSpan.FromHours(1));
        await Failed("svc-failed", Retention + TimeSpan.FromHours(1));

        Assert.Equal(2, (await Reconciler.ReconcileAsync(default)).ExpiredRecords);

        Assert.Equal(ServiceStatus.Running, (await _worker.Records.GetAsync(live.ServiceId))!.Status);
        Assert.Equal(port, await _worker.ReservedPort(live.ServiceId));
        Assert.Equal(live.ServiceId, await _worker.NameHolder("svc-live"));
        Assert.Equal(Sorted(usageBefore), Sorted(await _worker.Redis.HashGetAllAsync(_worker.Keys.Usage("alice"))));
        Assert.Equal(Sorted(hostUsageBefore), Sorted(await _worker.Redis.HashGetAllAsync(_worker.Keys.HostUsage)));
        Assert.Equal(1, await _worker.Redis.HashLengthAsync(_worker.Keys.Ports));

        // The name of the expired service is free, for the API's pending record and for the worker's reservation.
        var again = WorkerHarness.Command(name: "svc-reused");
        Assert.Null(await _worker.Records.TryCreatePendingAsync(ServiceRecord.ForCommand(again, ServiceStatus.Pending, DateTimeOffset.UtcNow)));
        await _worker.Handle(again);
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == again.ServiceId));
        Assert.NotEqual(expired.ServiceId, again.ServiceId);
        Assert.Equal(again.ServiceId, await _worker.NameHolder("svc-reused"));
    }

    [Fact]
    public async Task A_failed_service_whose_container_is_still_on_the_engine_keeps_its_record()
    {
        var command = WorkerHarness.Command(name: "svc-stuck");
        await _worker.Handle(command);
        var running = (await _worker.Records.GetAsync(command.ServiceId))!;
        // As a creation that failed after its container was made and could not be removed: the record keeps the container.
        await _worker.Records.SaveAsync(running with
        {
            Status = ServiceStatus.Failed, FailureCode = FailureReasons.DockerError, UpdatedAt = DateTimeOffset.UtcNow - Retention - TimeSpan.FromDays(1),
        });

        var report = await Reconciler.ReconcileAsync(default);

        Assert.Equal(0, report.ExpiredRecords);
        Assert.Equal(1, report.Corrections[DriftKinds.OrphanFound]);
        Assert.Equal(ServiceStatus.Failed, (await _worker.Records.GetAsync(command.ServiceId))!.Status);
    }

    [Fact]
    public async Task The_store_deletes_nothing_that_changed_after_it_was_read()
    {
        var record = await Failed("svc-moving", Retention + TimeSpan.FromHours(1));
        var endedBy = DateTimeOffset.UtcNow - Retention;
        // A DELETE moved it on to removing after the pass read it: it is no longer an ended record.
        await _worker.Records.TransitionAsync(record.ServiceId, [ServiceStatus.Failed], ServiceStatus.Removing, record.UpdatedAt);
        Assert.False(await _worker.Records.DeleteExpiredAsync(record, endedBy));
        Assert.NotNull(await _worker.Records.GetAsync(record.ServiceId));

        // Changed after the cutoff (a newer write than the one the pass saw).
        var fresh = await Failed("svc-fresh", TimeSpan.FromMinutes(5));
        Assert.False(await _worker.Records.DeleteExpiredAsync(fresh, endedBy));

        // Another owner named by the caller: the owner index it would clean is not this record's.
        var old = await Failed("svc-owned", Retention + TimeSpan.FromHours(1));
        Assert.False(await _worker.Records.DeleteExpiredAsync(old with { Owner = "mallory" }, endedBy));
        Assert.True(await _worker.Records.DeleteExpiredAsync(old, endedBy));
        Assert.Null(await _worker.Records.GetAsync(old.ServiceId));
    }

    private static string[] Sorted(StackExchange.Redis.HashEntry[] entries) =>
        [.. entries.Select(e => $"{e.Name}={e.Value}").Order(StringComparer.Ordinal)];
}
