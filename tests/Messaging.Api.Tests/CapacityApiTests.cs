using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.State;
using Messaging.State.Capacity;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>
/// <c>GET /api/v1/images</c> and <c>GET /api/v1/capacity</c> (issue 19): the worker's capacity report from Redis, and
/// the ports and host budget the reservations hold. One class fixture of its own: the tests write the shared keys.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class CapacityApiTests(CapacityApiTests.Application app) : IClassFixture<CapacityApiTests.Application>
{
    public sealed class Application : ApiApplication;

    private static readonly CapacityReport Report = new(DateTimeOffset.Parse("2026-12-03T04:00:00Z"),
        [new ImageCaps("nginx:alpine", 512L << 20, 1, 128L << 20, 0.5, 80), new ImageCaps("messaging-test/kv:latest", 256L << 20, 0.5, 64L << 20, 0.25, 80)],
        new PortRange(11000, 11099), new HostBudgetReport(4L << 30, 2));

    private RedisKeys Keys => app.Services.GetRequiredService<RedisKeys>();
    private CapacityReports Reports => app.Services.GetRequiredService<CapacityReports>();

    [Fact]
    public async Task Any_reader_sees_the_images_with_their_caps_and_defaults_as_the_worker_reported_them()
    {
        await Reports.WriteAsync(Report.ToJson(), TimeSpan.FromMinutes(1));

        var body = await app.ClientWith(ApiApplication.ReaderToken).GetFromJsonAsync<JsonElement>("/api/v1/images");

        Assert.True(body.GetProperty("reported").GetBoolean());
        Assert.Equal(Report.UpdatedAt, body.GetProperty("updated_at").GetDateTimeOffset());
        var images = body.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(["nginx:alpine", "messaging-test/kv:latest"], images.Select(i => i.GetProperty("image").GetString()));
        var nginx = images[0];
        Assert.Equal(("512m", 512L << 20, 1.0, "128m", 128L << 20, 0.5, 80),
            (nginx.GetProperty("max_memory").GetString(), nginx.GetProperty("max_memory_bytes").GetInt64(), nginx.GetProperty("max_cpus").GetDouble(),
             nginx.GetProperty("default_memory").GetString(), nginx.GetProperty("default_memory_bytes").GetInt64(),
             nginx.GetProperty("default_cpus").GetDouble(), nginx.GetProperty("internal_port").GetInt32()));
    }

    [Fact]
    public async Task An_admin_sees_the_port_range_the_ports_taken_and_the_host_budget_in_use()
    {
        await Reports.WriteAsync(Report.ToJson(), TimeSpan.FromMinutes(1));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await app.Redis.HashSetAsync(Keys.Ports, [new("11000", Guid.NewGuid().ToString()), new("11001", Guid.NewGuid().ToString()), new("11002", $"pool:{Guid.NewGuid()}")]);
        // One port blocked for a while yet, one whose block has run out (the next reservation drops it).
        await app.Redis.SortedSetAddAsync(Keys.BlockedPorts, [new("11010", now + 60_000), new("11011", now - 1_000)]);
        await app.Redis.HashSetAsync(Keys.HostUsage, [new("memory_bytes", 1L << 30), new("millicpus", 750)]);

        var body = await app.ClientWith(ApiApplication.AdminToken).GetFromJsonAsync<JsonElement>("/api/v1/capacity");

        Assert.True(body.GetProperty("reported").GetBoolean());
        var ports = body.GetProperty("ports");
        Assert.Equal((11000, 11099, 100, 3L, 1L, 96L),
            (ports.GetProperty("min").GetInt32(), ports.GetProperty("max").GetInt32(), ports.GetProperty("size").GetInt32(),
             ports.GetProperty("reserved").GetInt64(), ports.GetProperty("blocked").GetInt64(), ports.GetProperty("free").GetInt64()));
        var host = body.GetProperty("host");
        Assert.Equal((4L << 30, 1L << 30, 2.0, 0.75),
            (host.GetProperty("memory_bytes").GetInt64(), host.GetProperty("memory_bytes_used").GetInt64(),
             host.GetProperty("cpus").GetDouble(), host.GetProperty("cpus_used").GetDouble()));
    }

    [Fact]
    public async Task Without_a_report_the_lists_are_empty_and_the_figures_only_what_Redis_holds()
    {
        await app.Redis.KeyDeleteAsync(Keys.CapacityReport);

        var images = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>("/api/v1/images");
        Assert.False(images.GetProperty("reported").GetBoolean());
        Assert.Equal(0, images.GetProperty("images").GetArrayLength());

        var capacity = await app.ClientWith(ApiApplication.AdminToken).GetFromJsonAsync<JsonElement>("/api/v1/capacity");
        Assert.False(capacity.GetProperty("reported").GetBoolean());
        Assert.Equal(JsonValueKind.Null, capacity.GetProperty("ports").GetProperty("size").ValueKind);
        Assert.Equal(JsonValueKind.Null, capacity.GetProperty("ports").GetProperty("free").ValueKind);
        Assert.Equal(JsonValueKind.Null, capacity.GetProperty("host").GetProperty("memory_bytes").ValueKind);
    }

    [Fact]
    public async Task A_report_that_does_not_read_counts_as_none()
    {
        await Reports.WriteAsync("""{"updated_at":"not a time"}""", TimeSpan.FromMinutes(1));
        var images = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>("/api/v1/images");
        Assert.False(images.GetProperty("reported").GetBoolean());
    }

    [Fact]
    public async Task Capacity_is_for_admins_and_images_for_tokens_that_read_services()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.AliceToken).GetAsync("/api/v1/capacity")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(null).GetAsync("/api/v1/capacity")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.BuilderToken).GetAsync("/api/v1/images")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(null).GetAsync("/api/v1/images")).StatusCode);
    }
}
