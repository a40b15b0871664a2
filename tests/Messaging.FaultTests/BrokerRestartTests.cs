using System.Diagnostics;
using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 2: RabbitMQ is restarted (rabbitmqctl stop_app, then start_app: the node process keeps running,
/// every connection drops) while creations are in flight. Commands are durable in the quorum queue; those the
/// worker held unacknowledged come back; the worker reconnects by itself and finishes them, and commands
/// published after the restart are served too. Events published while the broker was away are not lost:
/// the worker publishes them only with the acknowledgement (in-memory outbox), so a redelivery replays them.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class BrokerRestartTests(ITestOutputHelper output)
{
    // Out of the fast subset until the open defect in docs/FAULTS.md ("RabbitMQ restart: endpoints left degraded")
    // is fixed: in one clean CI run of 2026-12-02 the worker's endpoints stayed degraded for minutes after the restart.
    [Fact]
    public Task Restart_RabbitMQ_while_10_creations_are_in_flight() => Run(8, after: 2);

    [Fact]
    public Task Restart_RabbitMQ_while_40_creations_are_in_flight() => Run(32, after: 8);

    private async Task Run(int before, int after)
    {
        await using var s = await Scenario.StartAsync($"rabbit-restart-n{before + after}",
            $"restart RabbitMQ (stop_app/start_app) while creations are in flight (N={before + after}: {before} before, {after} after)", output);
        var worker = s.StartWorker();
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(before, "a");

        await Scenario.WaitUntilAsync(() => worker.CreatedLogged > 0, TimeSpan.FromSeconds(15));
        var doneAtStop = s.TerminalCount(s.Commands);
        s.Log($"rabbitmqctl stop_app: {doneAtStop}/{before} finished, {worker.CreatedLogged} containers started so far");
        var outage = Stopwatch.StartNew();
        await Rabbit.StopAppAsync();
        var createdWhileDown = worker.CreatedLogged;
        await Task.Delay(TimeSpan.FromSeconds(3));
        createdWhileDown = worker.CreatedLogged - createdWhileDown;
        await Rabbit.StartAppAsync();
        outage.Stop();
        s.Log($"rabbitmqctl start_app: broker back after {outage.Elapsed.TotalSeconds:F1} s");

        // New commands after the restart: the worker must have reconnected to serve them.
        await s.PublishCreatesAsync(after, "b");
        s.Fact("commands finished when the broker stopped", () => $"{doneAtStop} of {before}");
        s.Fact("broker down (stop_app .. start_app done)", () => $"{outage.Elapsed.TotalSeconds:F1} s");
        s.Fact("containers started by the worker while the broker was down", () => createdWhileDown.ToString());
        s.Fact("worker process restarted", () => worker.HasExited ? "yes (it died)" : "no (same process, reconnected)");

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(180));
        Verification.AssertAllHold(checks);
        Assert.False(worker.HasExited, "The worker died instead of reconnecting.");
    }
}
