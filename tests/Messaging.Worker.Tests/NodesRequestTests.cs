using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Tests;

/// <summary>
/// The worker's answer to <see cref="GetNodes"/> (<c>GET /api/v1/nodes</c>, issue 18) on the fake engine, which is one node
/// as a plain engine is: the API gets the nodes with what running services hold; nobody else gets anything.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class NodesRequestTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;
    private CreateService _running = null!, _stopped = null!;

    public async Task InitializeAsync()
    {
        _worker = await WorkerHarness.StartAsync();
        _running = WorkerHarness.Command(name: "node-web", memory: "128m", cpus: 0.5);
        _stopped = WorkerHarness.Command(name: "node-idle", memory: "64m", cpus: 0.25);
        await _worker.Handle(_running);
        await _worker.Handle(_stopped);
        var stop = new StopService { CommandId = NewId.NextGuid(), ServiceId = _stopped.ServiceId, RequestedBy = "alice", RequestedAt = DateTimeOffset.UtcNow };
        await _worker.Handle(stop, stop.CommandId);
    }

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private Task<Response<NodeList, NodesUnavailable>> Ask(string? brokerUser = null) =>
        _worker.Harness.GetRequestClient<GetNodes>().GetResponse<NodeList, NodesUnavailable>(new GetNodes(),
            request => request.UseExecute(context =>
            {
                if (brokerUser is not null)
                    context.Headers.Set(TestBrokerUser.Header, brokerUser);
            }));

    [Fact]
    public async Task The_api_gets_the_one_engine_as_one_node_holding_what_the_running_services_hold()
    {
        var response = await Ask();

        Assert.True(response.Is(out Response<NodeList>? answer));
        Assert.Equal("containers", answer!.Message.Scheduler);
        var node = Assert.Single(answer.Message.Nodes);
        Assert.Equal(("engine", "active", "ready"), (node.Role, node.Availability, node.State));
        Assert.Equal(4_000_000_000, node.NanoCpus); // the fake host's 4 CPUs
        Assert.Equal(128L << 20, node.ReservedMemoryBytes); // the stopped service holds nothing on the node
        Assert.Equal(500_000_000, node.ReservedNanoCpus);
        var service = Assert.Single(node.Services);
        Assert.Equal((_running.ServiceId, "node-web"), (service.ServiceId, service.ServiceName));
    }

    [Theory]
    [InlineData("billing-system")]
    [InlineData("")] // no user_id
    public async Task Any_other_publisher_is_refused_invalid_command_and_learns_nothing(string brokerUser)
    {
        var response = await Ask(brokerUser);

        Assert.True(response.Is(out Response<NodesUnavailable>? refused));
        Assert.Equal(RejectionReasons.InvalidCommand, refused!.Message.Reason);
        Assert.DoesNotContain("node-web", refused.Message.Message);
    }

    [Fact]
    public async Task An_engine_away_is_docker_unavailable()
    {
        _worker.Engine.FailCreate = new ContainerRuntimeException(FailureReasons.DockerUnavailable, "engine away");

        var response = await Ask();

        Assert.True(response.Is(out Response<NodesUnavailable>? refused));
        Assert.Equal(RejectionReasons.DockerUnavailable, refused!.Message.Reason);
    }
}
