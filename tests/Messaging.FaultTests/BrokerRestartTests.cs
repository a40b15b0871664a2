using System.Diagnostics;
using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 2: RabbitMQ is restarted (rabbitmqctl stop_app, then start_app: the node process keeps running,
/// every connection drops) while creations are in flight. Commands are durable in the quorum queue; those the
/// worker held unacknowledged come back; the worker reconnects by itself and finishes them, and commands
/// published after the restart are served too. Events published while the broker was away are not lost:
/// the worker publishes them only with the acknowledgement (in-memory outbox), so a redelivery replays them.
/// MassTransit 8.5 can leave an endpoint dead after such a restart (MassTransit#5942); the worker then exits with code
/// 75 once its bus has stalled for RabbitMq:StalledBusExitAfter (20 s here) while the broker accepts connections, and the
/// test starts it again as compose's restart policy would. Any other exit fails the test.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class BrokerRestartTests(ITestOutputHelper output)
{
    [Fact, Trait("Speed", "Fast")]
    public Task Restart_RabbitMQ_while_10_creations_are_in_flight() => Run(8, after: 2);

    [Fact]
    public Task Restart_RabbitMQ_while_40_creations_are_in_flight() => Run(32, after: 8);

    private async Task Run(int before, int after)
    {
        await using var s = await Scenario.StartAsync($"rabbit-restart-n{before + after}",
            $"restart RabbitMQ (stop_app/start_app) while creations are in flight (N={before + after}: {before} before, {after} after)", output);
        var settings = s.Settings() with { Extra = new Dictionary<string, string> { ["RabbitMq__StalledBusExitAfter"] = "00:00:20" } };
        var worker = s.StartWorker(settings);
        var workers = new List<WorkerProcess> { worker };
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        using var stopKeeping = new CancellationTokenSource();
        var keeping = KeepRunningAsync(s, settings, workers, stopKeeping.Token);
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
        s.Fact("worker processes", () => workers.Count == 1
            ? "1 (the same process reconnected)"
            : $"{workers.Count}: exited for a stalled bus (code 75) and started again {workers.Count - 1} time(s)");

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(180));
        await stopKeeping.CancelAsync();
        await keeping;
        Verification.AssertAllHold(checks);
        var died = workers.Where(w => w.HasExited && w.ExitCode != StalledBusExitCode).Select(w => $"{w.Name} exited with {w.ExitCode}").ToList();
        Assert.True(died.Count == 0, $"A worker died instead of reconnecting: {string.Join(", ", died)}");
    }

    /// <summary>Exit code of a process whose bus stalled (Messaging.ServiceDefaults.Bus.StalledBusExit).</summary>
    private const int StalledBusExitCode = 75;

    /// <summary>What compose's <c>restart: unless-stopped</c> does for the worker: a new process when it exits with 75.</summary>
    private static async Task KeepRunningAsync(Scenario s, WorkerSettings settings, List<WorkerProcess> workers, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var current = workers[^1];
            if (current.ExitCode == StalledBusExitCode)
            {
                s.Log($"{current.Name} exited with 75 (stalled bus): starting a new worker");
                workers.Add(s.StartWorker(settings));
            }
            else if (current.HasExited)
                return; // any other exit fails the test
            await Task.Delay(500, CancellationToken.None);
        }
    }
}
