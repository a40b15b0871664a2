using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Api.Tests;

/// <summary>
/// <c>GET /api/v1/nodes</c> (issue 18) against a stand-in worker on the harness bus that answers what each test sets
/// (nothing: no answer, as with no worker running). Admin tokens only: the nodes' addresses and every owner's services are an
/// operator's view.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class NodesApiTests(ApiApplication app) : IClassFixture<ApiApplication>, IAsyncLifetime
{
    private StandInWorker<GetNodes> _worker = null!;

    public async Task InitializeAsync() => _worker = await StandInWorker<GetNodes>.StartAsync(app.Harness.Bus, "nodes-responder");

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private static readonly Guid Web = Guid.NewGuid();

    private static NodeList TwoNodes() => new()
    {
        Scheduler = "swarm", ReadAt = DateTimeOffset.UtcNow,
        Nodes =
        [
            new NodeSummary
            {
                Id = "n1", Hostname = "manager-1", Role = "manager", Availability = "active", State = "ready", Address = "10.0.0.1",
                NanoCpus = 2_000_000_000, MemoryBytes = 4L << 30, ReservedNanoCpus = 250_000_000, ReservedMemoryBytes = 64L << 20,
                Services = [new NodeService { ServiceId = Web, ServiceName = "web" }],
            },
            new NodeSummary { Id = "n2", Hostname = "worker-1", Role = "worker", Availability = "drain", State = "down", NanoCpus = 1_000_000_000, MemoryBytes = 1L << 30 },
        ],
    };

    [Fact]
    public async Task Admin_reads_each_node_with_its_resources_what_our_services_reserve_and_which_run_there()
    {
        _worker.Answer = _ => TwoNodes();

        var response = await app.ClientWith(ApiApplication.AdminToken).GetAsync("/api/v1/nodes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("swarm", body.GetProperty("scheduler").GetString());
        Assert.True(body.TryGetProperty("read_at", out _));
        var nodes = body.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(2, nodes.Count);
        var manager = nodes[0];
        Assert.Equal(("n1", "manager-1", "manager", "active", "ready", "10.0.0.1"),
            (manager.GetProperty("id").GetString(), manager.GetProperty("hostname").GetString(), manager.GetProperty("role").GetString(),
             manager.GetProperty("availability").GetString(), manager.GetProperty("state").GetString(), manager.GetProperty("address").GetString()));
        Assert.Equal(2.0, manager.GetProperty("resources").GetProperty("cpus").GetDouble());
        Assert.Equal(2_000_000_000, manager.GetProperty("resources").GetProperty("nano_cpus").GetInt64());
        Assert.Equal(4L << 30, manager.GetProperty("resources").GetProperty("memory_bytes").GetInt64());
        Assert.Equal(0.25, manager.GetProperty("reserved").GetProperty("cpus").GetDouble());
        Assert.Equal(64L << 20, manager.GetProperty("reserved").GetProperty("memory_bytes").GetInt64());
        var service = Assert.Single(manager.GetProperty("services").EnumerateArray());
        Assert.Equal((Web, "web"), (service.GetProperty("service_id").GetGuid(), service.GetProperty("service_name").GetString()));
        Assert.Equal(("drain", "down", 0), (nodes[1].GetProperty("availability").GetString(), nodes[1].GetProperty("state").GetString(),
            nodes[1].GetProperty("services").GetArrayLength()));
    }

    [Fact]
    public async Task Tokens_without_admin_get_403_problem_details_and_the_worker_is_never_asked()
    {
        _worker.Answer = _ => TwoNodes();
        foreach (var token in new[] { ApiApplication.AliceToken, ApiApplication.ReaderToken })
        {
            var response = await app.ClientWith(token).GetAsync("/api/v1/nodes");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("Forbidden", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(null).GetAsync("/api/v1/nodes")).StatusCode);
        Assert.Empty(_worker.Asked);
    }

    [Theory]
    [InlineData(RejectionReasons.DockerUnavailable, HttpStatusCode.ServiceUnavailable, "Engine unavailable")]
    [InlineData(RejectionReasons.DockerError, HttpStatusCode.ServiceUnavailable, "Engine unavailable")]
    [InlineData(RejectionReasons.InvalidCommand, HttpStatusCode.BadGateway, "Worker refused")]
    public async Task A_worker_refusal_becomes_its_problem(string reason, HttpStatusCode status, string title)
    {
        _worker.Answer = _ => new NodesUnavailable { Reason = reason, Message = "as the worker said" };

        var response = await app.ClientWith(ApiApplication.AdminToken).GetAsync("/api/v1/nodes");

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal("as the worker said", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task No_worker_answering_is_504()
    {
        _worker.Answer = _ => null;

        var response = await app.ClientWith(ApiApplication.AdminToken).GetAsync("/api/v1/nodes");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("No worker answered the nodes request in time.", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.NotEmpty(_worker.Asked);
    }
}
