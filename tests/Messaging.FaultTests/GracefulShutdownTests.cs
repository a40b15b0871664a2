using System.Diagnostics;
using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// SIGTERM while creations are in flight: the worker stops taking messages, finishes (or returns) those in
/// flight and exits by itself within its 60 s shutdown timeout; a new worker finishes the rest. Nothing is
/// left half-done: every command has one outcome, no record is stuck, no port or container is left over.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    [Fact, Trait("Speed", "Fast")]
    public async Task SIGTERM_the_worker_while_10_creations_are_in_flight_then_restart_it()
    {
        await using var s = await Scenario.StartAsync("sigterm-n10", "SIGTERM the worker while creations are in flight, then restart it (N=10)", output);
        var worker = s.StartWorker();
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(10);

        await Scenario.WaitUntilAsync(() => worker.CreatedLogged > 0, TimeSpan.FromSeconds(30));
        var finishedBefore = s.TerminalCount(s.Commands);
        var stopwatch = Stopwatch.StartNew();
        await worker.TerminateAsync(TimeSpan.FromSeconds(75));
        stopwatch.Stop();
        s.Fact("commands finished when SIGTERM was sent", () => $"{finishedBefore}/10");
        s.Fact("time from SIGTERM to exit", () => $"{stopwatch.Elapsed.TotalSeconds:F1} s");
        // Exited by itself: well inside the host's 60 s shutdown timeout, not killed after the 75 s grace.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(70), $"the worker took {stopwatch.Elapsed} to stop");

        s.StartWorker();
        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(150));
        Verification.AssertAllHold(checks);
    }
}
