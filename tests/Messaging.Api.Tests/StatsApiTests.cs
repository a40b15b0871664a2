using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Api.Tests;

/// <summary>
/// <c>GET /services/{id}/stats</c> against a stand-in worker on the harness bus that answers what each test puts in
/// <see cref="Answers"/> (a service with no entry gets no answer, as with no worker running).
/// </summary>
[Trait("Requires", "Redis")]
public sealed class StatsApiTests : IClassFixture<ApiApplication>, IAsyncLifetime
{
    private readonly ApiApplication _app;
    private readonly ConcurrentDictionary<Guid, object> _answers = new();
    private StandInWorker<GetServiceStats> _worker = null!;

    public StatsApiTests(ApiApplication app) => _app = app;

    private IDictionary<Guid, object> Answers => _answers;

    public async Task InitializeAsync()
    {
        _worker = await StandInWorker<GetServiceStats>.StartAsync(_app.Harness.Bus, "stats-responder");
        _worker.Answer = request => _answers.GetValueOrDefault(request.ServiceId);
    }

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private static ServiceStats Figures(Guid serviceId) => new()
    {
        ServiceId = serviceId, ReadAt = DateTimeOffset.UtcNow, CpuPercent = 12.5, OnlineCpus = 2, MemoryUsedBytes = 3 << 20,
        MemoryLimitBytes = 128 << 20, NetworkRxBytes = 1000, NetworkTxBytes = 2000, BlockReadBytes = 4096, BlockWriteBytes = 8192, Pids = 3,
    };

    [Fact]
    public async Task The_owner_gets_the_figures_the_worker_read_in_snake_case()
    {
        var id = await _app.SeedService("alice", ServiceStatus.Running);
        Answers[id] = Figures(id);

        var response = await _app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/services/{id}/stats");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("service_id").GetGuid());
        Assert.Equal(12.5, body.GetProperty("cpu_percent").GetDouble());
        Assert.Equal(2, body.GetProperty("online_cpus").GetInt32());
        Assert.Equal(3 << 20, body.GetProperty("memory_used_bytes").GetInt64());
        Assert.Equal(128 << 20, body.GetProperty("memory_limit_bytes").GetInt64());
        Assert.Equal(1000, body.GetProperty("network_rx_bytes").GetInt64());
        Assert.Equal(2000, body.GetProperty("network_tx_bytes").GetInt64());
        Assert.Equal(4096, body.GetProperty("block_read_bytes").GetInt64());
        Assert.Equal(8192, body.GetProperty("block_write_bytes").GetInt64());
        Assert.Equal(3, body.GetProperty("pids").GetInt64());
        Assert.True(body.TryGetProperty("read_at", out _));
    }

    [Fact]
    public async Task Another_owners_service_is_404_and_the_worker_is_never_asked_while_admin_and_read_only_owner_get_figures()
    {
        var bobs = await _app.SeedService("bob", ServiceStatus.Running);
        Answers[bobs] = Figures(bobs);

        var asAlice = await _app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/services/{bobs}/stats");
        Assert.Equal(HttpStatusCode.NotFound, asAlice.StatusCode);
        Assert.Equal("Not found", (await asAlice.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.DoesNotContain(bobs, _worker.Asked.Select(r => r.ServiceId));

        Assert.Equal(HttpStatusCode.OK, (await _app.ClientWith(ApiApplication.AdminToken).GetAsync($"/api/v1/services/{bobs}/stats")).StatusCode);
        var readers = await _app.SeedService("reader", ServiceStatus.Running);
        Answers[readers] = Figures(readers);
        Assert.Equal(HttpStatusCode.OK, (await _app.ClientWith(ApiApplication.ReaderToken).GetAsync($"/api/v1/services/{readers}/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.ClientWith(null).GetAsync($"/api/v1/services/{readers}/stats")).StatusCode);
    }

    [Theory]
    [InlineData(ServiceStatus.Stopped)]
    [InlineData(ServiceStatus.Failed)]
    [InlineData(ServiceStatus.Pending)]
    [InlineData(ServiceStatus.Removed)]
    public async Task A_service_that_is_not_running_is_409_not_running_without_asking_a_worker(string status)
    {
        var id = await _app.SeedService("alice", status);

        var response = await _app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/services/{id}/stats");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Not running", problem.GetProperty("title").GetString());
        Assert.Contains(status, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(id, _worker.Asked.Select(r => r.ServiceId));
    }

    [Theory]
    [InlineData(RejectionReasons.WrongState, HttpStatusCode.Conflict, "Not running")]
    [InlineData(RejectionReasons.NotFound, HttpStatusCode.NotFound, "No stats")]
    [InlineData(RejectionReasons.DockerUnavailable, HttpStatusCode.ServiceUnavailable, "Engine unavailable")]
    [InlineData(RejectionReasons.DockerError, HttpStatusCode.ServiceUnavailable, "Engine unavailable")]
    public async Task A_worker_refusal_becomes_its_problem(string reason, HttpStatusCode status, string title)
    {
        var id = await _app.SeedService("alice", ServiceStatus.Running);
        Answers[id] = new ServiceStatsUnavailable { ServiceId = id, Reason = reason, Message = "as the worker said" };

        var response = await _app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/services/{id}/stats");

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal("as the worker said", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task No_worker_answering_is_504()
    {
        var id = await _app.SeedService("alice", ServiceStatus.Running);

        var response = await _app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/services/{id}/stats");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("No worker answered the stats request in time.", problem.GetProperty("detail").GetString());
        Assert.Contains(id, _worker.Asked.Select(r => r.ServiceId));
    }
}
