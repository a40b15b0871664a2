using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Reconciliation;
using Messaging.Worker.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Tests;

/// <summary>
/// The reconciler's account of where a service's task runs on Swarm (issue 18), on the fake engine standing in for the
/// Swarm adapter's view: a task on another node is <see cref="ServiceMoved"/> (the record's host follows), no task running
/// is <see cref="ServiceDegraded"/> once per spell, running again where it was is <see cref="ServiceRecovered"/>.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class SwarmPlacementEventsTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private CreateService _web = null!;
    private Reconciler _reconciler = null!;
    private string Container => "unit-" + _web.ServiceName;

    public async Task InitializeAsync()
    {
        _worker = await WorkerHarness.StartAsync();
        _web = WorkerHarness.Command(name: "placed-web");
        await _worker.Handle(_web);
        // The harness runs the containers path (the Swarm adapter needs a swarm); this reconciler is told it runs on one.
        _reconciler = ActivatorUtilities.CreateInstance<Reconciler>(_worker.Services,
            Options.Create(new SchedulerOptions { Mode = SchedulerMode.Swarm }));
        _worker.Engine.SwarmPlacement[Container] = ("10.0.0.1", "node-a", null);
        await _reconciler.ReconcileAsync(default); // the record now names node a
    }

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private async Task<T> PublishedOnce<T>(Func<T, bool> match) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_worker.Published(match).Count == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        return Assert.Single(_worker.Published(match));
    }

    [Fact]
    public async Task A_task_on_another_node_is_one_service_moved_and_the_record_follows()
    {
        _worker.Engine.SwarmPlacement[Container] = ("10.0.0.2", "node-b", null);

        var report = await _reconciler.ReconcileAsync(default);
        await _reconciler.ReconcileAsync(default); // nothing new: no second event

        var moved = await PublishedOnce<ServiceMoved>(e => e.ServiceId == _web.ServiceId && e.ToHost == "10.0.0.2");
        Assert.Equal(("10.0.0.1", "node-b", Guid.Empty), (moved.FromHost, moved.ToNode, moved.CommandId));
        Assert.Equal((await _worker.ReservedPort(_web.ServiceId)), moved.HostPort);
        Assert.Equal(1, report.Corrections[DriftKinds.ServiceMoved]);
        Assert.Equal("10.0.0.2", (await _worker.Records.GetAsync(_web.ServiceId))!.Host);
        Assert.Empty(_worker.Published<ServiceDriftCorrected>(e => e.ServiceId == _web.ServiceId && e.Drift == DriftKinds.ServiceMoved));
    }

    [Fact]
    public async Task No_task_running_is_one_service_degraded_per_spell_then_recovered_where_it_was()
    {
        _worker.Engine.SwarmPlacement[Container] = (null, null, (DegradedReasons.NodeLost, "its task ran on node node-a (10.0.0.1), which is down"));

        await _reconciler.ReconcileAsync(default);
        await _reconciler.ReconcileAsync(default); // still degraded: announced once

        var degraded = await PublishedOnce<ServiceDegraded>(e => e.ServiceId == _web.ServiceId);
        Assert.Equal((DegradedReasons.NodeLost, "10.0.0.1"), (degraded.Reason, degraded.LastHost));
        Assert.Contains("which is down", degraded.Detail);
        var record = (await _worker.Records.GetAsync(_web.ServiceId))!;
        Assert.True(record.IsDegraded);
        Assert.Equal(ServiceStatus.Running, record.Status); // Swarm still means it to run
        Assert.Equal("10.0.0.1", record.Host); // where it ran last, for the move that may follow

        _worker.Engine.SwarmPlacement[Container] = ("10.0.0.1", "node-a", null);
        await _reconciler.ReconcileAsync(default);

        await PublishedOnce<ServiceRecovered>(e => e.ServiceId == _web.ServiceId);
        Assert.False((await _worker.Records.GetAsync(_web.ServiceId))!.IsDegraded);
        Assert.Empty(_worker.Published<ServiceMoved>(e => e.ServiceId == _web.ServiceId && e.FromHost == "10.0.0.1"));
    }

    [Fact]
    public async Task A_degraded_service_whose_task_runs_elsewhere_moves_from_the_node_it_ran_on_last()
    {
        _worker.Engine.SwarmPlacement[Container] = (null, null, (DegradedReasons.Starting, "starting on node node-b (ready)"));
        await _reconciler.ReconcileAsync(default);
        _worker.Engine.SwarmPlacement[Container] = ("10.0.0.2", "node-b", null);

        await _reconciler.ReconcileAsync(default);

        var moved = await PublishedOnce<ServiceMoved>(e => e.ServiceId == _web.ServiceId && e.ToHost == "10.0.0.2");
        Assert.Equal("10.0.0.1", moved.FromHost);
        Assert.False((await _worker.Records.GetAsync(_web.ServiceId))!.IsDegraded);
        Assert.Empty(_worker.Published<ServiceRecovered>(e => e.ServiceId == _web.ServiceId));
    }

    [Fact]
    public async Task A_command_after_the_mark_voids_it_so_a_spell_that_goes_on_is_announced_again()
    {
        _worker.Engine.SwarmPlacement[Container] = (null, null, (DegradedReasons.TaskFailed, "failed: exit 1"));
        await _reconciler.ReconcileAsync(default);
        await PublishedOnce<ServiceDegraded>(e => e.ServiceId == _web.ServiceId);

        var restart = new RestartService { CommandId = NewId.NextGuid(), ServiceId = _web.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await Task.Delay(5); // the transition's time is later than the mark's
        await _worker.Handle(restart, restart.CommandId);
        Assert.False((await _worker.Records.GetAsync(_web.ServiceId))!.IsDegraded);

        await _reconciler.ReconcileAsync(default);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_worker.Published<ServiceDegraded>(e => e.ServiceId == _web.ServiceId).Count < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(2, _worker.Published<ServiceDegraded>(e => e.ServiceId == _web.ServiceId).Count);
    }

    [Fact]
    public async Task On_one_engine_nothing_of_this_is_announced()
    {
        _worker.Engine.SwarmPlacement[Container] = (null, null, (DegradedReasons.NoTask, "none"));

        await _worker.Services.GetRequiredService<Reconciler>().ReconcileAsync(default); // Scheduler:Mode containers

        await Task.Delay(200);
        Assert.Empty(_worker.Published<ServiceDegraded>(e => e.ServiceId == _web.ServiceId));
    }
}
