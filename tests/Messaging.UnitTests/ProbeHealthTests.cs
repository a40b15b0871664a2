using Messaging.Contracts;
using Messaging.Worker.Policy;
using Messaging.Worker.Supervision;

namespace Messaging.UnitTests;

/// <summary>The worker's own probes judge health by Docker's HEALTHCHECK rules.</summary>
public sealed class ProbeHealthTests
{
    private static readonly DateTimeOffset Started = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);
    private static readonly ServiceHealthCheck Check = new() { Retries = 3, StartPeriod = TimeSpan.FromSeconds(10), ProbedBy = ServiceHealthCheck.ByWorker };

    [Fact]
    public void Starting_until_the_first_success_then_healthy()
    {
        var health = new ProbeHealth(Check, Started);
        Assert.Equal(ServiceHealth.Starting, health.Status);
        Assert.True(health.Record(true, "HTTP 200", Started.AddSeconds(1)));
        Assert.Equal(ServiceHealth.Healthy, health.Status);
        Assert.False(health.Record(true, "HTTP 200", Started.AddSeconds(2)));
    }

    [Fact]
    public void Failures_in_the_start_period_do_not_count()
    {
        var health = new ProbeHealth(Check, Started);
        for (var s = 1; s <= 9; s++)
            Assert.False(health.Record(false, "connection refused", Started.AddSeconds(s)));
        Assert.Equal(ServiceHealth.Starting, health.Status);
        health.Record(false, "connection refused", Started.AddSeconds(10));
        health.Record(false, "connection refused", Started.AddSeconds(11));
        Assert.True(health.Record(false, "connection refused", Started.AddSeconds(12)));
        Assert.Equal(ServiceHealth.Unhealthy, health.Status);
        Assert.Equal("connection refused", health.Output);
    }

    [Fact]
    public void After_a_first_success_failures_count_even_in_the_start_period_and_a_success_resets_them()
    {
        var health = new ProbeHealth(Check, Started);
        health.Record(true, "HTTP 200", Started.AddSeconds(1));
        health.Record(false, "HTTP 500", Started.AddSeconds(2));
        health.Record(false, "HTTP 500", Started.AddSeconds(3));
        health.Record(true, "HTTP 200", Started.AddSeconds(4));
        health.Record(false, "HTTP 500", Started.AddSeconds(5));
        Assert.False(health.Record(false, "HTTP 500", Started.AddSeconds(6)));
        Assert.Equal(ServiceHealth.Healthy, health.Status);
        Assert.True(health.Record(false, "HTTP 500", Started.AddSeconds(7)));
        Assert.Equal(ServiceHealth.Unhealthy, health.Status);
        Assert.True(health.Record(true, "HTTP 200", Started.AddSeconds(8)));
        Assert.Equal(ServiceHealth.Healthy, health.Status);
    }
}
