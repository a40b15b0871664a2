using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Tests;

[Trait("Requires", "Redis")]
public sealed class ServiceLifecycleConsumerTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private CreateService _created = null!;
    private ServiceCreated _service = null!;

    public async Task InitializeAsync()
    {
        _worker = await WorkerHarness.StartAsync();
        _created = WorkerHarness.Command();
        await _worker.Handle(_created);
        _service = Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == _created.ServiceId));
    }

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private T Command<T>(Func<Guid, Guid, T> make) => make(NewId.NextGuid(), _created.ServiceId);

    private static StopService Stop(Guid commandId, Guid serviceId) => new() { CommandId = commandId, ServiceId = serviceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
    private static StartService Start(Guid commandId, Guid serviceId) => new() { CommandId = commandId, ServiceId = serviceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
    private static RestartService Restart(Guid commandId, Guid serviceId) => new() { CommandId = commandId, ServiceId = serviceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
    private static RemoveService Remove(Guid commandId, Guid serviceId) => new() { CommandId = commandId, ServiceId = serviceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };

    private bool ContainerRunning => _worker.Engine.Containers["unit-" + _created.ServiceName].Running;

    [Fact]
    public async Task Stop_then_start_then_restart_follow_the_state_machine()
    {
        var stop = Command(Stop);
        await _worker.Handle(stop, stop.CommandId);
        Assert.Single(_worker.Published<ServiceStopped>(e => e.CommandId == stop.CommandId));
        Assert.False(ContainerRunning);
        Assert.Equal(ServiceStatus.Stopped, (await _worker.Records.GetAsync(_created.ServiceId))!.Status);

        var start = Command(Start);
        await _worker.Handle(start, start.CommandId);
        Assert.Single(_worker.Published<ServiceStarted>(e => e.CommandId == start.CommandId));
        Assert.True(ContainerRunning);

        var restart = Command(Restart);
        await _worker.Handle(restart, restart.CommandId);
        Assert.Single(_worker.Published<ServiceRestarted>(e => e.CommandId == restart.CommandId));
        Assert.Equal(ServiceStatus.Running, (await _worker.Records.GetAsync(_created.ServiceId))!.Status);
    }

    [Fact]
    public async Task A_command_the_status_does_not_allow_is_rejected_with_wrong_state()
    {
        var start = Command(Start);
        await _worker.Handle(start, start.CommandId);

        var rejected = Assert.Single(_worker.Published<ServiceCommandRejected>(e => e.CommandId == start.CommandId));
        Assert.Equal(RejectionReasons.WrongState, rejected.Reason);
        Assert.Equal(nameof(StartService), rejected.Command);
        Assert.Equal(ServiceStatus.Running, rejected.Status);
        Assert.Equal(ServiceStatus.Running, (await _worker.Records.GetAsync(_created.ServiceId))!.Status);
    }

    [Fact]
    public async Task A_command_for_an_unknown_service_is_rejected_with_not_found()
    {
        var stop = Stop(NewId.NextGuid(), Guid.NewGuid());
        await _worker.Handle(stop, stop.CommandId);
        Assert.Equal(RejectionReasons.NotFound,
            Assert.Single(_worker.Published<ServiceCommandRejected>(e => e.CommandId == stop.CommandId)).Reason);
    }

    [Fact]
    public async Task A_record_pointing_at_a_foreign_container_gets_every_command_rejected_with_not_found()
    {
        // Whoever can write Redis swaps in the id of a container that is not ours (say, the Redis server's).
        _worker.Engine.Add("redis", new Dictionary<string, string> { ["maintainer"] = "someone" });
        var foreign = _worker.Engine.Containers["redis"];
        var record = await _worker.Records.GetAsync(_created.ServiceId);
        await _worker.Records.SaveAsync(record! with { ContainerId = foreign.Id });

        var stop = Command(Stop);
        await _worker.Handle(stop, stop.CommandId);
        var restart = Command(Restart);
        await _worker.Handle(restart, restart.CommandId);
        var remove = Command(Remove);
        await _worker.Handle(remove, remove.CommandId);

        foreach (var commandId in new[] { stop.CommandId, restart.CommandId, remove.CommandId })
            Assert.Equal(RejectionReasons.NotFound, Assert.Single(_worker.Published<ServiceCommandRejected>(e => e.CommandId == commandId)).Reason);
        Assert.Equal(foreign, _worker.Engine.Containers["redis"]);
        Assert.Equal(0, _worker.Engine.Stops);
        Assert.Empty(_worker.Engine.Removed);
        Assert.Equal(ServiceStatus.Running, (await _worker.Records.GetAsync(_created.ServiceId))!.Status);
        Assert.Equal(_service.HostPort, await _worker.ReservedPort(_created.ServiceId));
    }

    [Fact]
    public async Task A_malformed_command_is_rejected_with_invalid_command()
    {
        var stop = Command(Stop) with { RequestedBy = "not a name" };
        await _worker.Handle(stop, stop.CommandId);
        Assert.Equal(RejectionReasons.InvalidCommand,
            Assert.Single(_worker.Published<ServiceCommandRejected>(e => e.CommandId == stop.CommandId)).Reason);
        Assert.True(ContainerRunning);
    }

    [Fact]
    public async Task Remove_deletes_the_container_then_frees_port_and_name()
    {
        var remove = Command(Remove);
        await _worker.Handle(remove, remove.CommandId);

        var removed = Assert.Single(_worker.Published<ServiceRemoved>(e => e.CommandId == remove.CommandId));
        Assert.Equal(_service.HostPort, removed.HostPort);
        Assert.Empty(_worker.Engine.Containers);
        Assert.Null(await _worker.ReservedPort(_created.ServiceId));
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Ports, _service.HostPort));
        Assert.Null(await _worker.NameHolder(_created.ServiceName));
        var record = await _worker.Records.GetAsync(_created.ServiceId);
        Assert.Equal(ServiceStatus.Removed, record!.Status);
        Assert.Null(record.HostPort);
        Assert.Null(record.ContainerId);

        // The name can be used again.
        var again = WorkerHarness.Command(name: _created.ServiceName);
        await _worker.Handle(again);
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == again.ServiceId));
    }

    [Fact]
    public async Task A_removal_the_engine_refuses_keeps_port_name_and_status()
    {
        _worker.Engine.FailLifecycle = new ContainerRuntimeException(FailureReasons.DockerUnavailable, "engine gone");
        var remove = Command(Remove);
        await _worker.Handle(remove, remove.CommandId);

        Assert.Equal(RejectionReasons.DockerUnavailable,
            Assert.Single(_worker.Published<ServiceCommandRejected>(e => e.CommandId == remove.CommandId)).Reason);
        Assert.Equal(ServiceStatus.Running, (await _worker.Records.GetAsync(_created.ServiceId))!.Status);
        Assert.Equal(_service.HostPort, await _worker.ReservedPort(_created.ServiceId));
        Assert.Equal(_created.ServiceId, await _worker.NameHolder(_created.ServiceName));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_redelivered_removal_whose_record_was_left_removing_is_resumed_not_refused(bool containerLeft)
    {
        // The worker died (or Redis failed) between the status write and the engine call: the record says removing.
        var remove = Command(Remove);
        await _worker.Records.BeginRemovalAsync(_created.ServiceId, ServiceStatus.Running, remove.CommandId, "alice", DateTimeOffset.UtcNow);
        if (!containerLeft)
            _worker.Engine.Containers.Clear(); // the engine finished the call its requester did not live to see

        await _worker.Handle(remove, remove.CommandId);

        Assert.Empty(_worker.Published<ServiceCommandRejected>(e => e.CommandId == remove.CommandId));
        Assert.Equal(_service.HostPort, Assert.Single(_worker.Published<ServiceRemoved>(e => e.CommandId == remove.CommandId)).HostPort);
        Assert.Empty(_worker.Engine.Containers);
        Assert.Equal(ServiceStatus.Removed, (await _worker.Records.GetAsync(_created.ServiceId))!.Status);
        Assert.Null(await _worker.ReservedPort(_created.ServiceId));
        Assert.Null(await _worker.NameHolder(_created.ServiceName));
        Assert.Equal(0, (int)await _worker.Redis.HashGetAsync(_worker.Keys.Usage("alice"), "services"));
    }

    [Fact]
    public async Task A_resumed_removal_the_engine_refuses_stays_removing_with_port_and_name_held()
    {
        var first = Command(Remove);
        await _worker.Records.BeginRemovalAsync(_created.ServiceId, ServiceStatus.Running, first.CommandId, "alice", DateTimeOffset.UtcNow);
        _worker.Engine.FailLifecycle = new ContainerRuntimeException(FailureReasons.DockerUnavailable, "engine gone");

        var again = Command(Remove);
        await _worker.Handle(again, again.CommandId);

        Assert.Equal(RejectionReasons.DockerUnavailable,
            Assert.Single(_worker.Published<ServiceCommandRejected>(e => e.CommandId == again.CommandId)).Reason);
        Assert.Equal(ServiceStatus.Removing, (await _worker.Records.GetAsync(_created.ServiceId))!.Status);
        Assert.Equal(_service.HostPort, await _worker.ReservedPort(_created.ServiceId));
        Assert.Equal(_created.ServiceId, await _worker.NameHolder(_created.ServiceName));
    }

    [Fact]
    public async Task The_same_stop_twice_stops_once_and_publishes_the_same_event_again()
    {
        var stop = Command(Stop);
        await _worker.Handle(stop, stop.CommandId);
        await _worker.Handle(stop, stop.CommandId);

        var events = _worker.Published<ServiceStopped>(e => e.CommandId == stop.CommandId);
        Assert.Equal(2, events.Count);
        Assert.Equal(events[0], events[1]);
        Assert.Equal(1, _worker.Engine.Stops);
        Assert.Empty(_worker.Published<ServiceCommandRejected>(e => e.CommandId == stop.CommandId));
    }

    [Fact]
    public async Task A_command_id_reused_on_another_service_acts_on_that_service_instead_of_replaying_the_first_ones_event()
    {
        var stop = Command(Stop);
        await _worker.Handle(stop, stop.CommandId);
        var other = WorkerHarness.Command(name: "other-nginx");
        await _worker.Handle(other);

        // The publisher chooses command ids: the same one sent for another service is a command of its own.
        var reused = stop with { ServiceId = other.ServiceId };
        await _worker.Handle(reused, reused.CommandId);

        var stopped = _worker.Published<ServiceStopped>(e => e.CommandId == stop.CommandId);
        // One event per service, each naming its own: before, the second was the first service's event replayed.
        Assert.Equal(new[] { _created.ServiceId, other.ServiceId }.Order(), stopped.Select(e => e.ServiceId).Order());
        Assert.Equal(ServiceStatus.Stopped, (await _worker.Records.GetAsync(other.ServiceId))!.Status);
        Assert.Equal(2, _worker.Engine.Stops);
    }

    [Fact]
    public async Task The_same_stop_twice_at_once_stops_once()
    {
        var stop = Command(Stop);
        await Task.WhenAll(_worker.Harness.Bus.Publish(stop), _worker.Harness.Bus.Publish(stop));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_worker.TerminalEvents(stop.CommandId) < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        Assert.Equal(2, _worker.Published<ServiceStopped>(e => e.CommandId == stop.CommandId).Count);
        Assert.Equal(1, _worker.Engine.Stops);
    }

    [Fact]
    public async Task Logs_are_answered_from_the_container()
    {
        var client = _worker.Harness.GetRequestClient<GetServiceLogs>();
        var response = await client.GetResponse<ServiceLogs, ServiceLogsUnavailable>(new GetServiceLogs { ServiceId = _created.ServiceId, Tail = 2 });
        Assert.True(response.Is(out Response<ServiceLogs>? logs));
        Assert.Equal(2, logs!.Message.Lines.Count);

        var missing = await client.GetResponse<ServiceLogs, ServiceLogsUnavailable>(new GetServiceLogs { ServiceId = Guid.NewGuid(), Tail = 2 });
        Assert.True(missing.Is(out Response<ServiceLogsUnavailable>? unavailable));
        Assert.Equal(RejectionReasons.NotFound, unavailable!.Message.Reason);
    }

    [Fact]
    public async Task Stats_are_read_from_a_running_container_and_refused_as_wrong_state_once_it_stopped()
    {
        var client = _worker.Harness.GetRequestClient<GetServiceStats>();
        var running = await client.GetResponse<ServiceStats, ServiceStatsUnavailable>(new GetServiceStats { ServiceId = _created.ServiceId });
        Assert.True(running.Is(out Response<ServiceStats>? stats));
        Assert.Equal(_created.ServiceId, stats!.Message.ServiceId);
        Assert.Equal(128 << 20, stats.Message.MemoryLimitBytes);
        Assert.Equal(3, stats.Message.Pids);

        _worker.Engine.Containers["unit-" + _created.ServiceName] = _worker.Engine.Containers["unit-" + _created.ServiceName] with { Running = false };
        var stopped = await client.GetResponse<ServiceStats, ServiceStatsUnavailable>(new GetServiceStats { ServiceId = _created.ServiceId });
        Assert.True(stopped.Is(out Response<ServiceStatsUnavailable>? notRunning));
        Assert.Equal(RejectionReasons.WrongState, notRunning!.Message.Reason);

        var missing = await client.GetResponse<ServiceStats, ServiceStatsUnavailable>(new GetServiceStats { ServiceId = Guid.NewGuid() });
        Assert.True(missing.Is(out Response<ServiceStatsUnavailable>? unavailable));
        Assert.Equal(RejectionReasons.NotFound, unavailable!.Message.Reason);
    }
}
