using Messaging.Contracts;
using Messaging.FaultTests.Harness;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 3: Redis loses everything. The tests own this redis-server (a child process without
/// persistence), so they may FLUSHALL it and restart it. Docker is the truth: the reconciler (every 3 s
/// here) rebuilds the records and the port and name reservations of every container, and the creations
/// that were in flight finish with one outcome each.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class RedisFaultTests(ITestOutputHelper output)
{
    [Fact, Trait("Speed", "Fast")]
    public async Task FlushAll_during_and_after_10_creations_then_reconcile()
    {
        const int count = 10;
        await using var s = await Scenario.StartAsync("redis-flushall-n10",
            $"FLUSHALL Redis while creations are in flight and again at rest, then reconcile (N={count})", output);
        var worker = s.StartWorker();
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(count);

        await Scenario.WaitUntilAsync(() => s.TerminalCount(s.Commands) >= count / 3, TimeSpan.FromSeconds(60));
        var doneAtFirst = s.TerminalCount(s.Commands);
        s.Log($"FLUSHALL #1 (in flight): {doneAtFirst}/{count} finished");
        await s.Redis.FlushAllAsync();

        await s.WaitForTerminalAsync(s.Commands.ToList(), TimeSpan.FromSeconds(120));
        var driftsBefore = s.Bus.All<ServiceDriftCorrected>().Count();
        s.Log("FLUSHALL #2 (at rest)");
        await s.Redis.FlushAllAsync();
        s.Fact("commands finished at FLUSHALL #1 (in flight)", () => $"{doneAtFirst} of {count}");
        s.Fact("drift corrections after FLUSHALL #2 (reconciler events)", () => Drifts(s, skip: driftsBefore));
        s.Fact("drift corrections in all", () => Drifts(s, skip: 0));

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(60));
        Verification.AssertAllHold(checks);
    }

    [Fact]
    public async Task Restart_Redis_while_20_creations_are_in_flight()
    {
        const int count = 20;
        await using var s = await Scenario.StartAsync("redis-restart-n20",
            $"restart Redis (kill -9, new empty server on the same port) while creations are in flight (N={count})", output);
        var worker = s.StartWorker();
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(count);

        await Scenario.WaitUntilAsync(() => worker.CreatedLogged >= 3, TimeSpan.FromSeconds(60));
        var doneAtRestart = s.TerminalCount(s.Commands);
        s.Log($"restarting redis-server: {doneAtRestart}/{count} finished");
        await s.Redis.RestartAsync(DownFor);
        s.Log("redis-server is back (empty)");
        s.Fact("commands finished when Redis was killed", () => $"{doneAtRestart} of {count}");
        s.Fact("Redis down", () => $"{DownFor.TotalSeconds:F0} s (longer than the client's 5 s timeout), then empty");
        s.Fact("drift corrections (reconciler events)", () => Drifts(s, skip: 0));

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(150));
        Verification.AssertAllHold(checks);
    }

    /// <summary>Longer than StackExchange.Redis' 5 s command timeout: the worker's calls fail and are retried, rather than waiting in the client's backlog.</summary>
    private static readonly TimeSpan DownFor = TimeSpan.FromSeconds(8);

    private static string Drifts(Scenario s, int skip)
    {
        var drifts = s.Bus.All<ServiceDriftCorrected>().Skip(skip).GroupBy(d => d.Drift).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}").ToList();
        return drifts.Count == 0 ? "none" : string.Join(", ", drifts);
    }
}
