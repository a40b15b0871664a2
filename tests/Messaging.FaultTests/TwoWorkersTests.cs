using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 6: two workers consume the same queue at once and race for ports and names with 200 creations
/// (the reservation lock and script serialise them). Every command ends once, no port has two services.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class TwoWorkersTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_workers_consume_the_same_queue_with_200_creations()
    {
        const int count = 200;
        await using var s = await Scenario.StartAsync("two-workers-n200", $"two workers consume the same queue at once (N={count})", output);
        var settings = s.Settings(reconcilerInterval: TimeSpan.FromSeconds(10));
        var a = s.StartWorker(settings);
        var b = s.StartWorker(settings);
        await Task.WhenAll(a.WaitHealthyAsync(TimeSpan.FromSeconds(60)), b.WaitHealthyAsync(TimeSpan.FromSeconds(60)));
        var start = s.Seconds;
        await s.PublishCreatesAsync(count);
        await s.WaitForTerminalAsync(s.Commands.ToList(), TimeSpan.FromSeconds(400));
        var took = s.Seconds - start;
        s.Fact("containers started by A / by B (worker logs)", () => $"{a.CreatedLogged} / {b.CreatedLogged}");
        s.Fact("publish to last terminal event", () => $"{took:F1} s ({count / took:F1} creations/s)");

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(30), settle: TimeSpan.FromSeconds(40), removalTimeout: TimeSpan.FromSeconds(300));
        Verification.AssertAllHold(checks);
    }
}
