using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.State.Pools;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary><c>GET /api/v1/pools</c> (issue 20): the summary the worker's pool keeper writes to Redis, admin only.</summary>
[Trait("Requires", "Redis")]
public sealed class PoolsApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    [Fact]
    public async Task Admin_reads_the_pools_the_worker_reported_and_nothing_when_none_did()
    {
        var admin = app.ClientWith(ApiApplication.AdminToken);
        var state = app.Services.GetRequiredService<PoolState>();
        await app.Redis.KeyDeleteAsync(app.Services.GetRequiredService<Messaging.State.RedisKeys>().PoolSummary);

        var none = await admin.GetFromJsonAsync<JsonElement>("/api/v1/pools");
        Assert.False(none.GetProperty("reported").GetBoolean());
        Assert.Equal(0, none.GetProperty("pools").GetArrayLength());

        await state.WriteSummaryAsync("""
            {"updated_at":"2026-12-02T20:00:00+00:00","budget":{"max_members":8,"members":3},
             "pools":[{"name":"nginx-alpine-256m-0.5","image":"nginx:alpine","memory_bytes":268435456,"cpus":0.5,"size":4,
                       "max_idle_seconds":1800,"idle":2,"warming":1,"hits":7,"misses":1}]}
            """, TimeSpan.FromMinutes(1));
        var body = await admin.GetFromJsonAsync<JsonElement>("/api/v1/pools");
        Assert.True(body.GetProperty("reported").GetBoolean());
        Assert.Equal(8, body.GetProperty("budget").GetProperty("max_members").GetInt32());
        var pool = Assert.Single(body.GetProperty("pools").EnumerateArray());
        Assert.Equal(("nginx-alpine-256m-0.5", 2, 1, 7L, 1L),
            (pool.GetProperty("name").GetString(), pool.GetProperty("idle").GetInt32(), pool.GetProperty("warming").GetInt32(),
             pool.GetProperty("hits").GetInt64(), pool.GetProperty("misses").GetInt64()));
    }

    [Fact]
    public async Task Only_admin_tokens_see_the_pools()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.AliceToken).GetAsync("/api/v1/pools")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(null).GetAsync("/api/v1/pools")).StatusCode);
    }
}
