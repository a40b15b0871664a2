using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Api.Dashboard;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>
/// What the API host adds for the web dashboard: its static files at <c>/</c> (no token, no data, a strict
/// Content-Security-Policy) and <c>GET /api/v1/me</c>, from which it shows only what the token may do.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class DashboardHostingTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/js/app.js", "text/javascript")]
    [InlineData("/app.css", "text/css")]
    public async Task The_dashboard_files_are_served_without_a_token_under_a_strict_policy(string path, string type)
    {
        using var response = await app.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(DashboardSetup.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotContain("unsafe-inline", DashboardSetup.ContentSecurityPolicy);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task The_page_holds_no_inline_script_or_style_and_no_external_address()
    {
        var html = await app.CreateClient().GetStringAsync("/");

        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)", html);
        Assert.DoesNotContain("<style", html);
        Assert.DoesNotContain("style=", html);
        Assert.DoesNotMatch(@"(src|href)=""(https?:)?//", html);
    }

    [Fact]
    public async Task The_api_still_needs_a_token_beside_the_dashboard()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/v1/services")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Me_tells_a_token_its_scopes_quota_and_usage()
    {
        var me = await app.ClientWith(ApiApplication.ReaderToken).GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.Equal("reader", me.GetProperty("id").GetString());
        Assert.Equal(["services:read"], me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.False(me.GetProperty("admin").GetBoolean());
        Assert.Equal(JsonValueKind.Null, me.GetProperty("quota").GetProperty("max_services").ValueKind); // seeded without quota
        Assert.Equal(0, me.GetProperty("usage").GetProperty("services").GetInt32());

        var admin = await app.ClientWith(ApiApplication.AdminToken).GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.True(admin.GetProperty("admin").GetBoolean());
    }

    [Fact]
    public async Task Me_shows_the_quota_of_a_token_made_with_one()
    {
        var created = await (await app.ClientWith(ApiApplication.AdminToken).PostAsJsonAsync("/api/v1/tokens",
            new { name = "limited", scopes = new[] { "services:read", "services:write" }, max_services = 3, max_memory = "1g", max_cpus = 2 }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var me = await app.ClientWith(created.GetProperty("token").GetString()).GetFromJsonAsync<JsonElement>("/api/v1/me");

        var quota = me.GetProperty("quota");
        Assert.Equal(3, quota.GetProperty("max_services").GetInt32());
        Assert.Equal("1g", quota.GetProperty("max_memory").GetString());
        Assert.Equal(1L << 30, quota.GetProperty("max_memory_bytes").GetInt64());
        Assert.Equal(2, quota.GetProperty("max_cpus").GetDouble());
        Assert.Equal(["services:read", "services:write"], me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        var remaining = me.GetProperty("remaining");
        Assert.Equal((3, 1L << 30, 2.0), (remaining.GetProperty("services").GetInt32(), remaining.GetProperty("memory_bytes").GetInt64(),
            remaining.GetProperty("cpus").GetDouble()));

        // What its services hold (as the worker's reservations count it) comes off the quota; never below 0.
        var id = created.GetProperty("details").GetProperty("id").GetString()!;
        var usage = app.Services.GetRequiredService<Messaging.State.RedisKeys>().Usage(id);
        await app.Redis.HashSetAsync(usage, [new("services", 1), new("memory_bytes", 256L << 20), new("millicpus", 2500)]);
        remaining = (await app.ClientWith(created.GetProperty("token").GetString()).GetFromJsonAsync<JsonElement>("/api/v1/me")).GetProperty("remaining");
        Assert.Equal((2, 768L << 20, 0.0), (remaining.GetProperty("services").GetInt32(), remaining.GetProperty("memory_bytes").GetInt64(),
            remaining.GetProperty("cpus").GetDouble()));
    }

    [Fact]
    public async Task Me_leaves_remaining_null_where_the_quota_sets_no_limit()
    {
        var remaining = (await app.ClientWith(ApiApplication.ReaderToken).GetFromJsonAsync<JsonElement>("/api/v1/me")).GetProperty("remaining");
        Assert.All(new[] { "services", "memory_bytes", "cpus" }, field => Assert.Equal(JsonValueKind.Null, remaining.GetProperty(field).ValueKind));
    }
}
