using System.Diagnostics;
using Messaging.FaultTests.Harness;
using StackExchange.Redis;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 5: a worker is frozen with SIGSTOP for longer than the reservation lock's TTL (Ports:LockTtl, 2 s)
/// while a second worker keeps creating, then thawed with SIGCONT. The lock expires under the frozen holder
/// and the other worker takes it; the reservation script re-checks the lock token (the fence), so the frozen
/// worker, once thawed, writes nothing with its stale lock and no port ends up with two services.
///
/// To freeze the worker while it really holds the lock, the test watches the lock key
/// (<c>faults:lock:reservations</c>) with only worker A running and sends SIGSTOP the moment it appears; if
/// the key is still there once A is stopped, A is frozen inside the lock. Only then does worker B start.
/// </summary>
[Trait("Category", "Fault")]
public sealed class PausedWorkerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(2);

    [Fact, Trait("Speed", "Fast")]
    public async Task SIGSTOP_a_worker_past_the_lock_TTL_while_a_second_worker_runs_then_SIGCONT()
    {
        const int count = 30;
        await using var s = await Scenario.StartAsync("sigstop-n30",
            $"SIGSTOP worker A past the lock TTL (2 s) while worker B runs, then SIGCONT (N={count})", output);
        var a = s.StartWorker();
        await a.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(count);

        // Freeze A while it holds the reservation lock (it is the only worker, so a lock key is A's).
        var db = s.Redis.Db;
        var lockKey = (RedisKey)(Scenario.KeyPrefix + "lock:reservations");
        var attempts = 0;
        var insideLock = false;
        RedisValue frozenToken = RedisValue.Null;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20) && s.TerminalCount(s.Commands) < count - 8)
        {
            var token = await db.StringGetAsync(lockKey);
            if (token.IsNull)
                continue;
            a.Pause();
            attempts++;
            var after = await db.StringGetAsync(lockKey);
            if (!after.IsNull)
            {
                insideLock = true;
                frozenToken = after;
                break;
            }
            a.Resume(); // it had already let go: try again
        }
        if (!insideLock)
            a.Pause(); // fall back to an ordinary freeze, still past the TTL
        var frozenAt = Stopwatch.StartNew();
        var doneAtFreeze = s.TerminalCount(s.Commands);
        s.Log($"SIGSTOP {a.Name}: inside the reservation lock: {insideLock} (after {attempts} tries), {doneAtFreeze}/{count} finished");

        // B starts while A is frozen, and must get the lock after its TTL ran out.
        var b = s.StartWorker();
        var lockTakenByOther = false;
        var createdByB = await WaitFor(() => b.CreatedLogged >= 2, TimeSpan.FromSeconds(45), async () =>
        {
            var current = await db.StringGetAsync(lockKey);
            if (!current.IsNull && current != frozenToken)
                lockTakenByOther = true;
        });
        var firstPause = frozenAt.Elapsed;
        Assert.True(firstPause > LockTtl, "A must be frozen for longer than the lock TTL.");
        var stateWhileFrozen = Native.State(a.Pid);
        a.Resume();
        s.Log($"SIGCONT {a.Name} after {firstPause.TotalSeconds:F1} s; B has started {b.CreatedLogged} containers");

        // A second freeze of A at a random moment while both work, again past the TTL.
        await Task.Delay(Random.Shared.Next(300, 1200));
        a.Pause();
        s.Log($"SIGSTOP {a.Name} again ({s.TerminalCount(s.Commands)}/{count} finished)");
        await Task.Delay(LockTtl * 1.75);
        a.Resume();
        s.Log($"SIGCONT {a.Name}");

        s.Fact("A frozen while holding the reservation lock", () => insideLock ? $"yes (caught on try {attempts})" : $"no ({attempts} tries; frozen outside it)");
        s.Fact("lock token taken by another holder while A was frozen", () => lockTakenByOther ? "yes" : "no");
        s.Fact("A frozen (SIGSTOP) for, process state", () => $"{firstPause.TotalSeconds:F1} s then {(LockTtl * 1.75).TotalSeconds:F1} s (lock TTL {LockTtl.TotalSeconds:F0} s), state {stateWhileFrozen}");
        s.Fact("containers started by A / by B (worker logs)", () => $"{a.CreatedLogged} / {b.CreatedLogged}");
        s.Fact("commands finished when A was frozen", () => $"{doneAtFreeze} of {count}");

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(150), extraChecks:
        [
            new Check("B created containers while A was frozen", createdByB ? "yes" : "no", "yes", createdByB, true),
        ]);
        Verification.AssertAllHold(checks);
    }

    private static async Task<bool> WaitFor(Func<bool> condition, TimeSpan timeout, Func<Task> poll)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await poll();
            await Task.Delay(20);
        }
        return true;
    }
}
