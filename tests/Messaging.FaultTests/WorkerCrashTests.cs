using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 1: the worker is killed with SIGKILL several times while creations are in flight, and restarted
/// each time. Unacknowledged commands come back; the per-service lock of a dead holder expires (30 s) and the
/// redelivered command resumes: same port (its reservation), the container an earlier delivery made is
/// adopted (same name, same service-id label), the same event is published.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class WorkerCrashTests(ITestOutputHelper output)
{
    [Fact, Trait("Speed", "Fast")]
    public Task Kill9_the_worker_3_times_while_10_creations_are_in_flight() => Run(10, kills: 3, waitForWork: TimeSpan.FromSeconds(3));

    [Fact]
    public Task Kill9_the_worker_5_times_while_40_creations_are_in_flight() => Run(40, kills: 5, waitForWork: TimeSpan.FromSeconds(45));

    /// <param name="waitForWork">
    /// How long each new incarnation may take to start or adopt a container before it is killed. A restarted worker
    /// first waits out the 30 s per-service locks its dead predecessor held (the redelivered commands occupy its
    /// concurrency slots while they retry), so with a short wait (the fast variant) the later kills land during
    /// that wait; with a long one (the full variant) every kill lands in the middle of engine calls.
    /// </param>
    private async Task Run(int count, int kills, TimeSpan waitForWork)
    {
        await using var s = await Scenario.StartAsync($"kill9-n{count}", $"kill -9 the worker {kills} times while creations are in flight, restart it (N={count})", output);
        var worker = s.StartWorker();
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(count);

        var inFlight = new List<int>();
        var adopted = 0;
        s.Fact("kills (SIGKILL), commands unfinished at each", () => $"{kills}: {string.Join(", ", inFlight)}");
        s.Fact("containers adopted by a redelivered command (worker logs)", () => (adopted + s.Workers[^1].AdoptedLogged).ToString());
        for (var kill = 1; kill <= kills; kill++)
        {
            // Kill this incarnation just after it finished its first container: the others it works on (up to 8 at a
            // time) are then in the middle of engine calls.
            var current = worker;
            await Scenario.WaitUntilAsync(() => current.CreatedLogged + current.AdoptedLogged > 0 || s.TerminalCount(s.Commands) == count,
                kill == 1 ? TimeSpan.FromSeconds(15) : waitForWork);
            await Task.Delay(Random.Shared.Next(20, 200));
            var done = s.TerminalCount(s.Commands);
            inFlight.Add(count - done);
            s.Log($"kill -9 {worker.Name} (pid {worker.Pid}): {done}/{count} commands finished");
            await worker.Kill9Async();
            adopted += worker.AdoptedLogged;
            worker = s.StartWorker();
        }

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(150));
        Verification.AssertAllHold(checks);
    }
}
