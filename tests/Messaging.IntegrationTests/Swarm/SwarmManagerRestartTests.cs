using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Messaging.IntegrationTests.Swarm.SwarmScenarioServices;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// Issue 18's "manager restarted" scenario on a real swarm whose manager's engine is the run's own
/// (<see cref="RestartableManagerSwarmFixture"/>): its dockerd stopped with SIGTERM and started again while services run and
/// a creation arrives. Swarm brings the tasks back from its own store; the records, ports and events must tell the truth
/// after it. Prints its figures (docs/FAULTS.md, "Swarm scenarios").
/// </summary>
[Collection(RestartableManagerSwarmCollection.Name)]
[Trait("Category", "SwarmFault")]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SwarmManagerRestartTests(RestartableManagerSwarmFixture system, ITestOutputHelper output)
{
    private const string Manager = RestartableManagerSwarmFixture.ManagerAddress;

    [Fact]
    public async Task A_restarted_manager_runs_its_services_again_and_the_records_ports_and_events_tell_the_truth()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var scenario = new SwarmScenarioServices(system, system.Manager);
        var services = await scenario.CreateMany(api, "sm-restart", 4, "0.1");
        var during = Guid.Empty;
        try
        {
            var before = await Records(api, services);
            Assert.All(before, r => Assert.Equal(Manager, r.Host));
            await AssertEachAnswersWhereItsRecordSays(before);

            // The restart, and one more creation while the manager does not answer (or, if that spell was too short to see,
            // right after): it must end as created or as a clean failure, never pending, never half made.
            var clock = Stopwatch.StartNew();
            var restart = system.RestartManagerAsync();
            var sawItAway = await AwayWithin(TimeSpan.FromSeconds(30), restart);
            during = await Post(api, Name("sm-during"), "0.1");
            var said = await restart;
            var restarted = clock.Elapsed;
            var leftovers = said.Split('\n').FirstOrDefault(l => l.Contains("after the stop", StringComparison.Ordinal))?.Trim() ?? "";

            // A reconcile pass every second, as a worker with Reconciler:Interval 1 s would run them, until every record is
            // running on the manager with a running task.
            var reconciler = system.WorkerServices.GetRequiredService<Reconciler>();
            TimeSpan? tasksRunning = null;
            var passes = 0;
            while (true)
            {
                // Looked at before the pass, so that the pass that ends the loop saw every task running (and announced
                // ServiceRecovered for any it had reported degraded); looked at after it, a task could start in between.
                var tasksWereRunning = await scenario.AllRunning(before);
                await reconciler.ReconcileAsync(default);
                passes++;
                tasksRunning ??= tasksWereRunning ? clock.Elapsed : null;
                var now = await Records(api, services);
                if (tasksRunning is not null && now.All(r => r.Status == "running" && r.Host == Manager))
                    break;
                if (clock.Elapsed > TimeSpan.FromSeconds(180))
                {
                    var tasks = await system.Manager.Tasks.ListAsync(new TasksListParameters());
                    Assert.Fail($"180 s after the restart began: {string.Join("; ", now.Select(r => $"{r.Id} {r.Status} on {r.Host}, tasks " +
                        string.Join(" ", tasks.Where(t => t.ServiceID == r.SwarmServiceId).Select(t => $"{t.Status?.State}/{t.DesiredState}({t.Status?.Err})"))))}");
                }
                await Task.Delay(1000);
            }

            var after = await Records(api, services);
            await AssertEachAnswersWhereItsRecordSays(after);
            var answering = clock.Elapsed;
            // Same services (Swarm kept them), same ports, none shared; every reserved port is a running service's.
            Assert.Equal(before.Select(r => (r.Id, r.SwarmServiceId, r.Port)).Order(), after.Select(r => (r.Id, r.SwarmServiceId, r.Port)).Order());

            var outcome = await system.Events.WaitFor<IServiceEvent>(
                e => e.ServiceId == during && e is ServiceCreated or ServiceCreationFailed, TimeSpan.FromSeconds(180));
            var duringRecord = (await Records(api, [during])).Single();
            if (outcome is ServiceCreated)
            {
                Assert.Equal("running", duringRecord.Status);
                await AssertEachAnswersWhereItsRecordSays([duringRecord]);
            }
            else
            {
                Assert.Equal("failed", duringRecord.Status);
                Assert.DoesNotContain(await system.Manager.Swarm.ListServicesAsync(), s => s.Spec?.Labels is { } labels && labels.TryGetValue("messaging.service-id", out var id) && id == during.ToString());
            }
            var running = after.Append(duringRecord).Where(r => r.Status == "running").ToList();
            var reserved = (await system.Redis.HashKeysAsync(new RedisKeys(system.KeyPrefix).Ports)).Select(p => (int)p).Order().ToList();
            Assert.Equal(running.Select(r => r.Port).Order().ToList(), reserved);

            // Events: no service moved (one node), and every spell without a task a pass saw ended with ServiceRecovered.
            Assert.Empty(system.Events.All<ServiceMoved>(e => services.Contains(e.ServiceId)));
            var degraded = system.Events.All<ServiceDegraded>(e => services.Contains(e.ServiceId));
            foreach (var d in degraded) // published by the last pass at the latest; the bus may still be delivering it
                await system.Events.WaitFor<ServiceRecovered>(e => e.ServiceId == d.ServiceId, TimeSpan.FromSeconds(15));
            output.WriteLine($"manager restarted: restart (SIGTERM, containers stopped, dockerd up again) took {restarted.TotalSeconds:F1} s ({leftovers}); " +
                $"every task running {tasksRunning?.TotalSeconds:F1} s and every record running and answering {answering.TotalSeconds:F1} s after it began " +
                $"({passes} passes); ServiceDegraded {degraded.Count} ({string.Join(", ", degraded.Select(d => d.Reason).Distinct())}), " +
                $"ServiceRecovered {system.Events.All<ServiceRecovered>(e => services.Contains(e.ServiceId)).Count}; the creation posted " +
                $"{(sawItAway ? "while the manager did not answer" : "right after the restart (the spell was too short to see)")}: " +
                $"{outcome.GetType().Name}{(outcome is ServiceCreationFailed f ? $" {f.Reason} ({f.Message})" : "")}");
        }
        finally
        {
            await scenario.RemoveMany(api, during == Guid.Empty ? services : [.. services, during]);
        }
    }

    /// <summary>Whether the manager's engine stopped answering before <paramref name="restart"/> ended (polled every 50 ms).</summary>
    private async Task<bool> AwayWithin(TimeSpan timeout, Task restart)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !restart.IsCompleted)
        {
            try
            {
                using var ping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await system.Manager.System.PingAsync(ping.Token);
            }
            catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }
}
