using System.Net;

namespace Messaging.IntegrationTests;

[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class HealthTests(SystemFixture system)
{
    [Fact]
    public async Task The_api_is_live_and_ready_with_broker_and_redis_up()
    {
        using var anonymous = system.Api(token: null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task The_worker_reports_healthy_in_its_health_file()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(system.HealthFile) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Equal("Healthy", (await File.ReadAllTextAsync(system.HealthFile)).Trim());
    }
}
