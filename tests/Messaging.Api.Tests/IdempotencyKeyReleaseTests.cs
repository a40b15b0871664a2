using System.Net;
using System.Text;
using Messaging.Api.Auth;
using Messaging.State;
using Messaging.State.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

[Trait("Requires", "Redis")]
public sealed class IdempotencyKeyReleaseTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private const string CarolToken = "carol-token-0123456789abcdef0123456789";

    private static HttpRequestMessage Create(string key) => new(HttpMethod.Post, "/api/v1/services")
    {
        Content = new StringContent("""{"service_name":"carol-web","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""",
            Encoding.UTF8, "application/json"),
        Headers = { { "Idempotency-Key", key } },
    };

    [Fact]
    public async Task A_create_that_throws_gives_its_Idempotency_Key_back_so_the_retry_is_accepted()
    {
        await ApiApplication.SeedToken(app.Services.GetRequiredService<TokenStore>(), "carol", CarolToken, Scopes.ServicesRead, Scopes.ServicesWrite);
        var keys = app.Services.GetRequiredService<RedisKeys>();
        // A value of the wrong type under carol's service index makes writing the pending record throw.
        await app.Redis.StringSetAsync(keys.OwnerServices("carol"), "not a sorted set");
        var client = app.ClientWith(CarolToken);

        var failed = await client.SendAsync(Create("carol-key"));
        // A Redis error surfaces as the state store's 503 (Http/ maps it); the handler itself threw.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);

        await app.Redis.KeyDeleteAsync(keys.OwnerServices("carol"));
        // Before the fix the key stayed claimed: 409 "Request in progress" for 24 hours.
        var retried = await client.SendAsync(Create("carol-key"));
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
    }
}
