using Messaging.State;
using System.Diagnostics;
using Messaging.FaultTests.Harness;
using StackExchange.Redis;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 5: a worker is frozen with SIGSTOP in the middle of a creation (while it holds a per-service
/// lock, which spans engine calls) while a second worker keeps creating, then thawed with SIGCONT, then frozen
/// again at a random moment. The reservation lock is taken and released inside one atomic Lua script, so no
/// worker can be frozen holding it: the test samples the lock key all through the freezes and must never see
/// it held, and B must keep reserving and creating while A is stopped. Afterwards nothing is lost, no port
/// is shared or leaked and nothing is stuck.
///
/// To freeze A mid-creation, the test watches for a service lock key (<c>faults:lock:service:*</c>) with only
/// worker A running and sends SIGSTOP the moment one appears; if the key is still there once A is stopped,
/// A is frozen inside a creation. Only then does worker B start.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class PausedWorkerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Freeze = TimeSpan.FromSeconds(3.5);

    [Fact]
    public async Task SIGSTOP_a_worker_mid_creation_while_a_second_worker_runs_then_SIGCONT()
    {
        const int count = 30;
        await using var s = await Scenario.StartAsync("sigstop-n30",
            $"SIGSTOP worker A mid-creation while worker B runs, then SIGCONT (N={count})", output);
        var a = s.StartWorker();
        await a.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(count);

        // Freeze A while it works on a service (it is the only worker, so a service lock is A's).
        var db = s.Redis.Db;
        var reservationLock = new RedisKeys(Scenario.KeyPrefix).ReservationLock;
        var serviceLocks = new RedisKeys(Scenario.KeyPrefix).ServiceLock(Guid.Empty).ToString().Replace(Guid.Empty.ToString("D"), "*");
        var attempts = 0;
        var midCreation = false;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20) && s.TerminalCount(s.Commands) < count - 8)
        {
            if (!await AnyKeyAsync(s, serviceLocks))
                continue;
            a.Pause();
            attempts++;
            if (await AnyKeyAsync(s, serviceLocks))
            {
                midCreation = true;
                break;
            }
            a.Resume(); // it had already finished: try again
        }
        if (!midCreation)
            a.Pause(); // fall back to an ordinary freeze
        var frozenAt = Stopwatch.StartNew();
        var doneAtFreeze = s.TerminalCount(s.Commands);
        s.Log($"SIGSTOP {a.Name}: mid-creation: {midCreation} (after {attempts} tries), {doneAtFreeze}/{count} finished");

        // B starts while A is frozen and must reserve and create; the reservation lock is never seen held.
        var lockSamples = 0;
        var lockSeenHeld = 0;
        async Task SampleLock()
        {
            lockSamples++;
            if (await db.KeyExistsAsync(reservationLock))
                lockSeenHeld++;
        }
        var b = s.StartWorker();
        var createdByB = await WaitFor(() => b.CreatedLogged >= 2, TimeSpan.FromSeconds(45), SampleLock);
        var firstPause = frozenAt.Elapsed;
        var stateWhileFrozen = Native.State(a.Pid);
        a.Resume();
        s.Log($"SIGCONT {a.Name} after {firstPause.TotalSeconds:F1} s; B has started {b.CreatedLogged} containers");

        // A second freeze of A at a random moment while both work.
        await Task.Delay(Random.Shared.Next(300, 1200));
        a.Pause();
        s.Log($"SIGSTOP {a.Name} again ({s.TerminalCount(s.Commands)}/{count} finished)");
        await WaitFor(() => false, Freeze, SampleLock);
        a.Resume();
        s.Log($"SIGCONT {a.Name}");

        s.Fact("A frozen mid-creation (holding a service lock)", () => midCreation ? $"yes (caught on try {attempts})" : $"no ({attempts} tries; frozen between creations)");
        s.Fact("A frozen (SIGSTOP) for, process state", () => $"{firstPause.TotalSeconds:F1} s then {Freeze.TotalSeconds:F1} s, state {stateWhileFrozen}");
        s.Fact("containers started by A / by B (worker logs)", () => $"{a.CreatedLogged} / {b.CreatedLogged}");
        s.Fact("commands finished when A was frozen", () => $"{doneAtFreeze} of {count}");

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(150), extraChecks:
        [
            new Check("B created containers while A was frozen", createdByB ? "yes" : "no", "yes", createdByB, true),
            new Check("reservation lock seen held (it lives only inside a script)", $"{lockSeenHeld} of {lockSamples}", "0", lockSeenHeld == 0 && lockSamples > 0, true),
        ]);
        Verification.AssertAllHold(checks);
    }

    private static async Task<bool> AnyKeyAsync(Scenario s, string pattern)
    {
        await foreach (var _ in s.Redis.Server.KeysAsync(pattern: pattern, pageSize: 1000))
            return true;
        return false;
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
