using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>The worker's readiness follows its dependencies: Unhealthy while the engine is away, Healthy again after.</summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class ReadinessTests(ITestOutputHelper output)
{
    // Full set only (since 2026-12-02, to keep CI under 20 minutes): EngineAwayTests covers the engine going away in CI.
    [Fact]
    public async Task Worker_readiness_turns_unhealthy_while_the_engine_is_away_and_healthy_after()
    {
        await using var s = await Scenario.StartAsync("readiness", "the worker's health file while the engine goes away and returns", output);
        var proxy = s.StartProxy();
        var worker = s.StartWorker(s.Settings(dockerEndpoint: proxy.Endpoint));
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        await proxy.StopAsync();
        // The file is rewritten every 15 s.
        await Scenario.WaitUntilAsync(() => !worker.IsHealthy(), TimeSpan.FromSeconds(40));
        Assert.False(worker.IsHealthy());

        proxy.Start();
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(40));
        Assert.True(worker.IsHealthy());
    }
}
