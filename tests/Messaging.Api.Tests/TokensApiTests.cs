using Messaging.State;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.State.Tokens;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

[Trait("Requires", "Redis")]
public sealed class TokensApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<(string Id, string Token)> CreateToken(string body)
    {
        var response = await app.ClientWith(ApiApplication.AdminToken).PostAsync("/api/v1/tokens", Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (json.GetProperty("details").GetProperty("id").GetString()!, json.GetProperty("token").GetString()!);
    }

    [Fact]
    public async Task An_admin_creates_a_token_whose_secret_is_shown_once_and_stored_only_hashed()
    {
        var (id, token) = await CreateToken("""{"name":"ci pipeline","scopes":["services:read","services:write"],"max_services":3,"max_memory":"1g","max_cpus":2}""");

        Assert.StartsWith("msg_", token);
        Assert.True(token.Length >= 4 + 43); // 256 random bits, base64url
        var shown = await app.ClientWith(ApiApplication.AdminToken).GetStringAsync($"/api/v1/tokens/{id}");
        Assert.DoesNotContain(token, shown);
        Assert.DoesNotContain("sha256", shown, StringComparison.OrdinalIgnoreCase);
        var view = JsonDocument.Parse(shown).RootElement;
        Assert.Equal("ci pipeline", view.GetProperty("name").GetString());
        Assert.Equal("1g", view.GetProperty("max_memory").GetString());

        // Nothing in Redis holds the secret itself.
        var server = app.Redis.Multiplexer.GetServers()[0];
        await foreach (var key in server.KeysAsync(pattern: app.KeyPrefix + "*"))
        {
            if (await app.Redis.KeyTypeAsync(key) == StackExchange.Redis.RedisType.Hash)
                Assert.DoesNotContain(await app.Redis.HashGetAllAsync(key), e => e.Value.ToString().Contains(token) || e.Name.ToString().Contains(token));
        }

        var list = await app.ClientWith(ApiApplication.AdminToken).GetFromJsonAsync<JsonElement>("/api/v1/tokens");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task A_new_token_works_and_records_its_last_use_and_a_revoked_one_is_401()
    {
        var (id, token) = await CreateToken("""{"name":"short-lived","scopes":["services:read"]}""");
        var client = app.ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/services")).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        JsonElement view;
        do view = await app.ClientWith(ApiApplication.AdminToken).GetFromJsonAsync<JsonElement>($"/api/v1/tokens/{id}");
        while (view.GetProperty("last_used_at").ValueKind == JsonValueKind.Null && DateTime.UtcNow < deadline);
        Assert.NotEqual(JsonValueKind.Null, view.GetProperty("last_used_at").ValueKind);

        Assert.Equal(HttpStatusCode.NoContent, (await app.ClientWith(ApiApplication.AdminToken).DeleteAsync($"/api/v1/tokens/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/services")).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var tokens = app.Services.GetRequiredService<TokenStore>();
        var secret = "expired-token-0123456789abcdef0123456789";
        await tokens.SaveAsync(new TokenRecord
        {
            Id = "expired", Name = "expired", Scopes = ["services:read"], Sha256 = Convert.ToHexString(TokenStore.Hash(secret)),
            CreatedAt = DateTimeOffset.UtcNow.AddDays(-2), ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(secret).GetAsync("/api/v1/services")).StatusCode);
    }

    [Theory]
    [InlineData(ApiApplication.AliceToken)]
    [InlineData(ApiApplication.ReaderToken)]
    public async Task Token_administration_needs_the_admin_scope(string token)
    {
        var client = app.ClientWith(token);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/v1/tokens", Json("""{"name":"x","scopes":["admin"]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/api/v1/tokens/alice")).StatusCode);
    }

    [Theory]
    [InlineData("""{"scopes":["services:read"]}""")]
    [InlineData("""{"name":"x","scopes":[]}""")]
    [InlineData("""{"name":"x","scopes":["root"]}""")]
    [InlineData("""{"name":"x","scopes":["services:read"],"expires_at":"2001-01-01T00:00:00Z"}""")]
    [InlineData("""{"name":"x","scopes":["services:read"],"max_services":0}""")]
    [InlineData("""{"name":"x","scopes":["services:read"],"max_memory":"lots"}""")]
    [InlineData("""{"name":"x","scopes":["services:read"],"max_cpus":-1}""")]
    [InlineData("""{"name":"x","scopes":["services:read"],"token":"chosen-by-me"}""")]
    [InlineData("""{"name":"../../x","scopes":["services:read"]}""")]
    [InlineData("""{"name":"x","scopes":["services:write"],"unlimited_quota":true,"max_services":5}""")]
    [InlineData("""{"name":"x","scopes":["services:write"],"unlimited_quota":"yes"}""")]
    public async Task Invalid_token_requests_are_400(string body)
    {
        var response = await app.ClientWith(ApiApplication.AdminToken).PostAsync("/api/v1/tokens", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<JsonElement> Details(string body)
    {
        var (id, _) = await CreateToken(body);
        return await app.ClientWith(ApiApplication.AdminToken).GetFromJsonAsync<JsonElement>($"/api/v1/tokens/{id}");
    }

    [Fact]
    public async Task A_token_created_without_a_quota_gets_the_default_quota_rather_than_none()
    {
        // Before the default, this token could take every port and all the host's memory.
        var view = await Details("""{"name":"greedy","scopes":["services:write"]}""");
        Assert.Equal(10, view.GetProperty("max_services").GetInt32());
        Assert.Equal("4g", view.GetProperty("max_memory").GetString());
        Assert.Equal(4, view.GetProperty("max_cpus").GetDouble());
    }

    [Fact]
    public async Task A_limit_given_in_the_request_wins_over_the_default_and_the_others_still_get_theirs()
    {
        var view = await Details("""{"name":"big ci","scopes":["services:write"],"max_services":50}""");
        Assert.Equal(50, view.GetProperty("max_services").GetInt32());
        Assert.Equal("4g", view.GetProperty("max_memory").GetString());
        Assert.Equal(4, view.GetProperty("max_cpus").GetDouble());
    }

    [Fact]
    public async Task Unlimited_is_given_only_when_asked_for_explicitly()
    {
        var view = await Details("""{"name":"trusted","scopes":["services:write"],"unlimited_quota":true}""");
        Assert.Equal(JsonValueKind.Null, view.GetProperty("max_services").ValueKind);
        Assert.Equal(JsonValueKind.Null, view.GetProperty("max_memory").ValueKind);
        Assert.Equal(JsonValueKind.Null, view.GetProperty("max_cpus").ValueKind);
    }

    [Fact]
    public async Task Revoking_an_unknown_token_is_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWith(ApiApplication.AdminToken).DeleteAsync("/api/v1/tokens/tok-nope")).StatusCode);
    }

    [Fact]
    public async Task A_create_that_the_quota_already_forbids_is_429_early()
    {
        var (_, token) = await CreateToken("""{"name":"tiny","scopes":["services:write"],"max_memory":"100m"}""");
        var before = app.PublishedCreateCommands;
        var response = await app.ClientWith(token).PostAsync("/api/v1/services",
            Json("""{"service_name":"too-big","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}"""));
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal(before, app.PublishedCreateCommands);
    }

    [Theory]
    [InlineData("""{"name":"one service","scopes":["services:write"],"max_services":1}""", "256m", 1, 0, "services")]
    [InlineData("""{"name":"small memory","scopes":["services:write"],"max_memory":"256m"}""", "192m", 0, 128L << 20, "memory")]
    public async Task A_create_that_would_break_the_tokens_quota_is_429_before_anything_is_published(
        string tokenBody, string memory, int servicesHeld, long memoryHeld, string which)
    {
        var (id, token) = await CreateToken(tokenBody);
        var client = app.ClientWith(token);
        string Body(string name) => $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"{{memory}}","cpu_limit":0.5}""";
        var name = $"quota-{Guid.NewGuid():N}"[..20];

        // Within the quota (nothing held yet): accepted.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/services", Json(Body(name)))).StatusCode);

        // What the worker would have counted for it; the next one does not fit.
        await app.Redis.HashSetAsync(new RedisKeys(app.KeyPrefix).Usage(id), [new("services", servicesHeld), new("memory_bytes", memoryHeld), new("millicpus", 500)]);
        var published = app.PublishedCreateCommands;
        var refused = await client.PostAsync("/api/v1/services", Json(Body(name + "-b")));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Quota exceeded", problem.GetProperty("title").GetString());
        Assert.Contains(which, problem.GetProperty("detail").GetString());
        Assert.Equal(published, app.PublishedCreateCommands);
        Assert.False(await app.Redis.HashExistsAsync(new RedisKeys(app.KeyPrefix).Names, name + "-b"));
    }
}

/// <summary>The limits as configured by default (the shared fixture lifts them for the other tests).</summary>
public sealed class LimitedApiApplication : ApiApplication
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("RateLimits:RequestsPerSecond", "5");
        builder.UseSetting("RateLimits:Burst", "5");
        builder.UseSetting("RateLimits:FailedAuthenticationsPerMinute", "100000");
    }
}

/// <summary>The wrong-token throttle as configured by default-like limits, in a host of its own (it blocks the test client's address).</summary>
public sealed class ThrottledApiApplication : ApiApplication
{
    protected override void Configure(IWebHostBuilder builder) =>
        builder.UseSetting("RateLimits:FailedAuthenticationsPerMinute", "5");
}

[Trait("Requires", "Redis")]
public sealed class RateLimitTests(LimitedApiApplication app) : IClassFixture<LimitedApiApplication>
{
    [Fact]
    public async Task A_token_over_its_rate_gets_429_with_retry_after()
    {
        var client = app.ClientWith(ApiApplication.BobToken);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
            statuses.Add((await client.GetAsync("/api/v1/services")).StatusCode);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains((HttpStatusCode)429, statuses);

        var limited = await client.GetAsync("/api/v1/services");
        if (limited.StatusCode == (HttpStatusCode)429)
            Assert.NotNull(limited.Headers.RetryAfter);
    }
}

[Trait("Requires", "Redis")]
public sealed class FailedAuthenticationThrottleTests(ThrottledApiApplication app) : IClassFixture<ThrottledApiApplication>
{
    [Fact]
    public async Task An_address_presenting_wrong_tokens_is_throttled_but_a_right_token_from_it_still_works()
    {
        var wrong = app.ClientWith("wrong-token-0123456789abcdef0123456789");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/services")).StatusCode);

        var throttled = await wrong.GetAsync("/api/v1/services");
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter!.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal((HttpStatusCode)429, (await app.ClientWith("another-wrong-token-0123456789abcdef01").GetAsync("/api/v1/services")).StatusCode);

        // Behind a proxy everyone shares the address: a valid token must not be locked out by a guesser.
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWith(ApiApplication.AliceToken).GetAsync("/api/v1/services")).StatusCode);
        Assert.Equal((HttpStatusCode)429, (await wrong.GetAsync("/api/v1/services")).StatusCode);
    }
}
