using Messaging.Contracts;
using Messaging.FaultTests.Harness;
using Messaging.State;

namespace Messaging.FaultTests;

/// <summary>
/// Scenario 7: the worker is killed with SIGKILL while removals are between the status write (<c>removing</c>) and
/// the end of the engine call, then restarted. The test watches the records and kills the worker the moment one
/// says <c>removing</c>: that record's removal is then cut short whatever the engine had done yet (container still
/// there, or gone with the record never told). The redelivered RemoveService resumes it (it was refused as
/// wrong_state before); a removal nobody asks about again is finished by the reconciler once stale. Every record
/// must end <c>removed</c>, with no container, port, name or quota left.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class InterruptedRemovalTests(ITestOutputHelper output)
{
    private const int Count = 16;

    /// <summary>Short, so that the reconciler may finish a removal too once the dead worker's 30 s service lock has expired.</summary>
    private static readonly TimeSpan StaleRemovingAfter = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Kill9_the_worker_while_removals_are_between_the_status_write_and_the_engine_call()
    {
        await using var s = await Scenario.StartAsync($"removal-kill9-n{Count}",
            $"kill -9 the worker while removals are between the status write and the engine call, restart it (N={Count})", output);
        var settings = s.Settings() with
        {
            Extra = new Dictionary<string, string> { ["Reconciler__StaleRemovingAfter"] = StaleRemovingAfter.ToString("c") },
        };
        var worker = s.StartWorker(settings);
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await s.PublishCreatesAsync(Count);

        var store = new ServiceRecordStore(s.Redis.Multiplexer, s.Keys);
        var removingAtKill = new List<Guid>();
        var caught = false;
        var killedAt = 0.0;
        s.Fact("records removing when the worker was killed (SIGKILL)", () => caught ? removingAtKill.Count.ToString() : "none seen: killed anyway");
        s.Fact("removals finished by the reconciler (removal_finished)", () =>
            s.Bus.All<ServiceDriftCorrected>().Count(d => d.Drift == DriftKinds.RemovalFinished).ToString());

        var checks = await s.VerifyAsync(TimeSpan.FromSeconds(120), removalTimeout: TimeSpan.FromSeconds(120),
            duringRemoval: async () =>
            {
                // Poll the records and kill the moment one is removing: its engine call has not finished (or its
                // outcome was never written), so this removal is cut short.
                var ids = s.Commands.Select(c => c.ServiceId).ToList();
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
                while (!caught && DateTime.UtcNow < deadline)
                {
                    var records = await Task.WhenAll(ids.Select(store.GetAsync));
                    caught = records.Any(r => r?.Status == ServiceStatus.Removing);
                }
                await worker.Kill9Async();
                killedAt = s.Seconds;
                var after = await Task.WhenAll(ids.Select(store.GetAsync));
                removingAtKill.AddRange(after.Where(r => r?.Status == ServiceStatus.Removing).Select(r => r!.ServiceId));
                s.Log($"kill -9 {worker.Name} (pid {worker.Pid}): {removingAtKill.Count} records removing, " +
                      $"{after.Count(r => r?.Status == ServiceStatus.Removed)} removed");
                s.StartWorker(settings);
            },
            afterRemoval: async () =>
            {
                var removals = s.Bus.All<ServiceRemoved>().Select(r => r.ServiceId).ToHashSet();
                var records = await Task.WhenAll(s.Commands.Select(c => store.GetAsync(c.ServiceId)));
                var notRemoved = records.Count(r => r?.Status != ServiceStatus.Removed);
                var cutShortRemoved = removingAtKill.Count(removals.Contains);
                var usage = await s.Redis.Db.HashGetAllAsync(s.Keys.Usage("fault-tests"));
                var usageLeft = usage.Where(e => (long)e.Value != 0).Select(e => $"{e.Name}={e.Value}").ToList();
                var counted = await s.Redis.Db.HashLengthAsync(s.Keys.ServiceUsage);
                var containers = (await s.ContainersAsync()).Count;
                return
                [
                    new Check("records left removing by the kill", removingAtKill.Count.ToString(), ">= 1", removingAtKill.Count >= 1, true),
                    new Check("of those, answered ServiceRemoved", $"{cutShortRemoved} of {removingAtKill.Count}", "all", cutShortRemoved == removingAtKill.Count, true),
                    new Check("records not removed after removing everything", notRemoved.ToString(), "0", notRemoved == 0, true),
                    new Check("quota usage left (usage hash, service-usage entries)",
                        $"{(usageLeft.Count == 0 ? "0" : string.Join(" ", usageLeft))}, {counted}", "0, 0", usageLeft.Count == 0 && counted == 0, true),
                    new Check("containers left after the interrupted removals", containers.ToString(), "0", containers == 0, true),
                    new Check("from the kill to every removal answered and checked", $"{s.Seconds - killedAt:F1} s", "", true, false),
                ];
            });
        Verification.AssertAllHold(checks);
    }
}
