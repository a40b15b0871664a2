using Messaging.State;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using StackExchange.Redis;

namespace Messaging.Api.Tests;

/// <summary>The real RabbitMQ transport, pointed at a port where no broker listens.</summary>
public sealed class UnreachableBrokerApplication : ApiApplication
{
    protected override bool UseHarness => false;

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("RabbitMq:Host", "127.0.0.1");
        builder.UseSetting("RabbitMq:Port", "1");
        builder.UseSetting("Publishing:ConfirmTimeout", "00:00:01");
    }
}

[Trait("Requires", "Redis")]
public sealed class BrokerDownTests(UnreachableBrokerApplication app) : IClassFixture<UnreachableBrokerApplication>
{
    [Fact]
    public async Task Broker_down_is_503_and_leaves_no_record()
    {
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services",
            new StringContent("""{"service_name":"no-broker","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""",
                Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var server = app.Redis.Multiplexer.GetServers()[0];
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: new RedisKeys(app.KeyPrefix).Service(Guid.Empty).ToString().Replace(Guid.Empty.ToString("D"), "*")))
            keys.Add(key);
        Assert.Empty(keys);
    }
}

[Trait("Requires", "Redis")]
public sealed class BrokerDownHealthTests(UnreachableBrokerApplication app) : IClassFixture<UnreachableBrokerApplication>
{
    [Fact]
    public async Task Readiness_is_503_while_the_broker_is_unreachable_and_liveness_stays_200()
    {
        var client = app.CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpResponseMessage ready;
        do
        {
            ready = await client.GetAsync("/health/ready");
        } while (ready.StatusCode != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}
