using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 11: the worker's bus cannot recover while the broker is up. The stand-in for MassTransit's dead endpoint
/// after a broker restart (docs/FAULTS.md) is a permission: guest loses read on the worker's <c>service-logs</c> queue and
/// every connection is closed, so that endpoint can never consume again. After RabbitMq:StalledBusExitAfter (15 s
/// here) the worker must exit with code 75 (a fresh process helps, the broker accepts connections); a new worker,
/// started as compose's restart policy would, serves every creation, including those published meanwhile.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class StalledBusTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_bus_that_cannot_recover_ends_the_worker_with_75_and_a_new_one_serves_everything()
    {
        await using var s = await Scenario.StartAsync("stalled-bus-n6", "a bus that cannot recover while the broker is up (N=6)", output);
        var settings = s.Settings() with { Extra = new Dictionary<string, string> { ["RabbitMq__StalledBusExitAfter"] = "00:00:15" } };
        var first = s.StartWorker(settings);
        await first.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(3, "a");
        await Scenario.WaitUntilAsync(() => s.TerminalCount(s.Commands) == 3, TimeSpan.FromSeconds(60));

        try
        {
            await Rabbit.DenyReadAsync("service-logs");
            await Rabbit.CloseConnectionsAsync();
            s.Log("guest may no longer read service-logs; connections closed");
            await s.PublishCreatesAsync(3, "b");
            await Scenario.WaitUntilAsync(() => first.HasExited, TimeSpan.FromSeconds(90));
            s.Fact("first worker's exit code", () => first.ExitCode?.ToString() ?? "still running");
            Assert.Equal(75, first.ExitCode);
        }
        finally
        {
            await Rabbit.AllowAllAsync();
        }

        var second = s.StartWorker(settings);
        await second.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(120));
        Verification.AssertAllHold(checks);
        Assert.False(second.HasExited, $"The new worker exited with {second.ExitCode}.");
    }
}
