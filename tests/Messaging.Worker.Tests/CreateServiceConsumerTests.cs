using Messaging.Contracts;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Tests;

[Trait("Requires", "Redis")]
public sealed class CreateServiceConsumerTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync();
    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task Valid_command_runs_a_container_and_publishes_ServiceCreated()
    {
        var command = WorkerHarness.Command();
        await _worker.Handle(command);

        var created = Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));
        Assert.Equal(command.CommandId, created.CommandId);
        Assert.InRange(created.HostPort, 11000, 20000);
        Assert.Equal(80, created.InternalPort);
        Assert.Equal(128L * 1024 * 1024, created.MemoryBytes);
        Assert.Equal("alice", created.Owner);
        Assert.Empty(_worker.Published<ServiceCreationFailed>(_ => true));

        var container = _worker.Engine.Containers["unit-my-nginx"];
        Assert.True(container.Running);
        Assert.Equal(created.ContainerId, container.Id);

        var record = await _worker.Records.GetAsync(command.ServiceId);
        Assert.Equal(ServiceStatus.Running, record!.Status);
        Assert.Equal(created.HostPort, record.HostPort);
        Assert.Equal(created.HostPort, await _worker.ReservedPort(command.ServiceId));
        Assert.Equal(command.ServiceId, await _worker.NameHolder("my-nginx"));
    }

    [Fact]
    public async Task Disallowed_image_fails_with_image_not_allowed_and_creates_nothing()
    {
        var command = WorkerHarness.Command(image: "ubuntu:latest");
        await _worker.Handle(command);

        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId));
        Assert.Equal(FailureReasons.ImageNotAllowed, failed.Reason);
        Assert.Empty(_worker.Engine.Created);
        var record = await _worker.Records.GetAsync(command.ServiceId);
        Assert.Equal(ServiceStatus.Failed, record!.Status);
        Assert.Equal(FailureReasons.ImageNotAllowed, record.FailureCode);
        Assert.Null(await _worker.ReservedPort(command.ServiceId));
        Assert.Null(await _worker.NameHolder(command.ServiceName));
    }

    [Theory]
    [InlineData("513m", 0.5)]
    [InlineData("128m", 1.5)]
    public async Task Limits_above_the_image_caps_fail_with_limit_exceeded(string memory, double cpus)
    {
        var command = WorkerHarness.Command(memory: memory, cpus: cpus);
        await _worker.Handle(command);

        Assert.Equal(FailureReasons.LimitExceeded,
            Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId)).Reason);
        Assert.Empty(_worker.Engine.Created);
    }

    [Fact]
    public async Task Malformed_command_fails_with_invalid_command_and_writes_no_record()
    {
        var command = WorkerHarness.Command(name: "../etc/passwd") with { RequestedBy = "" };
        await _worker.Handle(command);

        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId));
        Assert.Equal(FailureReasons.InvalidCommand, failed.Reason);
        Assert.Contains("ServiceName", failed.Message);
        Assert.Null(await _worker.Records.GetAsync(command.ServiceId));
        Assert.Empty(_worker.Engine.Created);
    }

    [Fact]
    public async Task Refused_port_is_removed_released_and_another_port_used()
    {
        _worker.Engine.RefuseNextStarts = 1;
        var command = WorkerHarness.Command();
        await _worker.Handle(command);

        var created = Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));
        var refused = Assert.Single(_worker.Engine.RefusedPorts);
        Assert.NotEqual(refused, created.HostPort);
        Assert.Single(_worker.Engine.Removed);
        Assert.Single(_worker.Engine.Containers);
        Assert.Equal(created.HostPort, await _worker.ReservedPort(command.ServiceId));
        Assert.False(await _worker.Redis.HashExistsAsync(_worker.Keys.Ports, refused));
    }

    [Fact]
    public async Task Unreachable_engine_fails_with_docker_unavailable_and_frees_the_reservation()
    {
        _worker.Engine.FailCreate = new ContainerRuntimeException(FailureReasons.DockerUnavailable, "connection refused");
        var command = WorkerHarness.Command();
        await _worker.Handle(command);

        Assert.Equal(FailureReasons.DockerUnavailable,
            Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId)).Reason);
        Assert.Null(await _worker.ReservedPort(command.ServiceId));
        Assert.Null(await _worker.NameHolder(command.ServiceName));
        Assert.Equal(ServiceStatus.Failed, (await _worker.Records.GetAsync(command.ServiceId))!.Status);
    }

    [Fact]
    public async Task Failed_start_removes_the_container_and_frees_the_reservation()
    {
        _worker.Engine.FailStart = new ContainerRuntimeException(FailureReasons.DockerError, "OCI runtime create failed");
        var command = WorkerHarness.Command();
        await _worker.Handle(command);

        Assert.Equal(FailureReasons.DockerError,
            Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId)).Reason);
        Assert.Single(_worker.Engine.Created);
        Assert.Empty(_worker.Engine.Containers);
        Assert.Null(await _worker.ReservedPort(command.ServiceId));
        Assert.Null(await _worker.NameHolder(command.ServiceName));
    }

    [Fact]
    public async Task A_foreign_container_with_the_name_is_a_name_conflict_and_is_left_alone()
    {
        _worker.Engine.Add("unit-my-nginx", new Dictionary<string, string> { ["maintainer"] = "someone" });
        var command = WorkerHarness.Command();
        await _worker.Handle(command);

        Assert.Equal(FailureReasons.NameConflict,
            Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId)).Reason);
        Assert.True(_worker.Engine.Containers.ContainsKey("unit-my-nginx"));
        Assert.Empty(_worker.Engine.Removed);
        Assert.Null(await _worker.ReservedPort(command.ServiceId));
    }

    [Fact]
    public async Task A_name_held_by_another_service_is_a_name_conflict_that_keeps_the_holder()
    {
        var first = WorkerHarness.Command();
        await _worker.Handle(first);
        var second = WorkerHarness.Command();
        await _worker.Handle(second);

        Assert.Equal(FailureReasons.NameConflict,
            Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == second.ServiceId)).Reason);
        Assert.Equal(first.ServiceId, await _worker.NameHolder("my-nginx"));
        Assert.NotNull(await _worker.ReservedPort(first.ServiceId));
        Assert.Single(_worker.Engine.Created);
    }

    [Fact]
    public async Task The_same_command_twice_yields_one_container_and_the_same_event()
    {
        var command = WorkerHarness.Command();
        await _worker.Handle(command);
        await _worker.Handle(command);

        var events = _worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId);
        Assert.Equal(2, events.Count);
        Assert.Equal(events[0].HostPort, events[1].HostPort);
        Assert.Equal(events[0].ContainerId, events[1].ContainerId);
        Assert.Single(_worker.Engine.Created);
    }

    [Fact]
    public async Task The_same_command_twice_at_once_yields_one_container_and_two_identical_events()
    {
        var command = WorkerHarness.Command();
        await Task.WhenAll(_worker.Harness.Bus.Publish(command), _worker.Harness.Bus.Publish(command));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_worker.TerminalEvents(command.CommandId) < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        var events = _worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId);
        Assert.Equal(2, events.Count);
        Assert.Equal(events[0].ContainerId, events[1].ContainerId);
        Assert.Equal(events[0].HostPort, events[1].HostPort);
        Assert.Single(_worker.Engine.Created);
        Assert.Equal(1, await _worker.Redis.HashLengthAsync(_worker.Keys.Ports));
    }

    [Fact]
    public async Task A_redelivered_command_adopts_the_container_an_earlier_delivery_made()
    {
        var command = WorkerHarness.Command();
        // As if a worker had created the container and died before recording it.
        _worker.Engine.Add("unit-my-nginx", new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "true",
            [ContainerLabels.ServiceId] = command.ServiceId.ToString("D"),
            [ContainerLabels.Instance] = "unit",
        }, running: false);
        var existingId = _worker.Engine.Containers["unit-my-nginx"].Id;

        await _worker.Handle(command);

        var created = Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));
        Assert.Equal(existingId, created.ContainerId);
        Assert.Empty(_worker.Engine.Created);
        Assert.True(_worker.Engine.Containers["unit-my-nginx"].Running);
    }

    [Fact]
    public async Task A_service_id_of_another_command_is_refused_without_touching_its_record()
    {
        var original = WorkerHarness.Command();
        await _worker.Handle(original);
        var hijack = WorkerHarness.Command(name: "other") with { ServiceId = original.ServiceId };
        await _worker.Handle(hijack);

        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.CommandId == hijack.CommandId));
        Assert.Equal(FailureReasons.InvalidCommand, failed.Reason);
        var record = await _worker.Records.GetAsync(original.ServiceId);
        Assert.Equal(ServiceStatus.Running, record!.Status);
        Assert.Equal("my-nginx", record.Name);
        Assert.Single(_worker.Engine.Created);
    }
}
