using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Worker.Reconciliation;
using Messaging.Worker.Scheduling;
using Messaging.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Messaging.Testing;
using Xunit.Abstractions;
using static Messaging.IntegrationTests.Swarm.SwarmScenarioServices;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// Issue 18's fault scenarios on a real two-node swarm (<see cref="TwoNodeSwarmFixture"/>): creations spread over both
/// nodes by their reservations, the second node drained, and the second node lost (its engine and all it ran killed).
/// Swarm reschedules; the records, events and ports must tell the truth after it. Each scenario prints its figures
/// (run with <c>--logger "console;verbosity=detailed"</c>); docs/FAULTS.md, "Swarm scenarios", has the last ones.
/// </summary>
[Collection(TwoNodeSwarmCollection.Name)]
[Trait("Category", "SwarmFault")]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SwarmFaultTests(TwoNodeSwarmFixture system, ITestOutputHelper output)
{
    private readonly SwarmScenarioServices scenario = new(system, system.Docker);

    private const string Manager = TwoNodeSwarmFixture.ManagerAddress;
    private const string Worker = TwoNodeSwarmFixture.WorkerAddress;

    [Fact]
    public async Task The_second_node_passes_the_no_new_privileges_check_the_shared_engine_fails()
    {
        // The worker's start-up check for real, on both nodes: the second engine runs with --no-new-privileges, the shared
        // one does not (infra/services-up.sh), so the refusal must name the manager's node and only it.
        using var worker = system.BuildWorker(("Scheduler:Swarm:RequireNoNewPrivileges", "true"));
        if (system.EngineSetsNoNewPrivileges)
        {
            // both nodes pass (the check alone; a second whole worker would share the run's queues)
            await worker.Services.GetServices<IHostedService>().OfType<Messaging.Worker.Scheduling.Swarm.SwarmReadiness>().Single().StartAsync(CancellationToken.None);
            return;
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.StartAsync());
        output.WriteLine(refused.Message);
        Assert.Contains(system.ManagerNodeId[..12], refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(system.WorkerNodeId[..12], refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TwoNodeSwarmFixture.NodeName, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_nodes_firewall_is_checked_from_that_node_a_node_without_the_port_rules_is_refused_by_name()
    {
        // The fixture's worker passed the port check on both nodes (each has infra/port-isolation.sh's rules, the second in
        // its own namespace): a task on either node timed out at its gateway and at both nodes' addresses. Now the second
        // node's rules go: its task gets through, the manager's still does not, so the refusal names the second node only.
        using var worker = system.BuildWorker(("Scheduler:Swarm:RequirePortIsolation", "true"));
        await InfraScript.RunInNamespaceAsync(TwoNodeSwarmFixture.NodeName, "port-isolation.sh", "remove");
        InvalidOperationException refused;
        try
        {
            refused = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.StartAsync());
        }
        finally
        {
            await InfraScript.RunInNamespaceAsync(TwoNodeSwarmFixture.NodeName, "port-isolation.sh", "install", SwarmFixture.PortRange);
        }
        output.WriteLine(refused.Message);
        Assert.Contains("can open the published port range", refused.Message, StringComparison.Ordinal);
        Assert.Contains(system.WorkerNodeId[..12], refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(system.ManagerNodeId[..12], refused.Message, StringComparison.Ordinal);

        // Rules back on the second node: both pass again (the check alone; a second whole worker would share the run's queues).
        using var again = system.BuildWorker(("Scheduler:Swarm:RequirePortIsolation", "true"));
        await again.Services.GetServices<IHostedService>().OfType<Messaging.Worker.Scheduling.Swarm.SwarmReadiness>().Single().StartAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Creations_spread_over_both_nodes_by_their_reservations_and_the_nodes_endpoint_counts_them()
    {
        // N services of 4/N CPU: each node (2 CPUs) holds N/2 such reservations, so Swarm must use both, N/2 and N/2, and
        // one more finds no room (host_capacity; in the runs here Swarm's "no suitable node (insufficient resources on 2
        // nodes)"). N is 16 unless SWARM_SPREAD_COUNT says otherwise (100 for issue 18's hundred creations: 40m CPU, 16m each).
        var count = int.TryParse(Environment.GetEnvironmentVariable("SWARM_SPREAD_COUNT"), out var n) && n is >= 2 and <= 200 && n % 2 == 0 ? n : 16;
        var perNode = count / 2;
        var cpus = (4m / count).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var memoryMiB = count <= 16 ? 64 : 16;
        using var api = system.Api(SystemFixture.AliceToken);
        var clock = Stopwatch.StartNew();
        // All at once up to 16; beyond, 8 in flight, as a busy client would send them (100 at once on this 2-core machine
        // left some tasks "starting" past Scheduler:Swarm:TaskStartTimeout: clean docker_error failures, not a spread).
        var services = await scenario.CreateMany(api, "sf-spread", count, cpus, $"{memoryMiB}m", inFlight: count <= 16 ? count : 8);
        var createdIn = clock.Elapsed;
        try
        {
            var records = await Records(api, services);
            Assert.All(records, r => Assert.Contains(r.Host, new[] { Manager, Worker }));
            Assert.Equal(count, records.Select(r => r.Port).Distinct().Count()); // no port shared
            Assert.Equal(perNode, records.Count(r => r.Host == Manager));
            Assert.Equal(perNode, records.Count(r => r.Host == Worker));
            await AssertEachAnswersWhereItsRecordSays(records);

            using var admin = system.Api();
            var nodes = await Nodes(admin);
            Assert.Equal(2, nodes.Count);
            foreach (var node in nodes)
            {
                var ours = node.Services.Intersect(services).ToList();
                Assert.Equal(perNode, ours.Count);
                Assert.Equal(records.Where(r => r.Host == node.Address).Select(r => r.Id).Order(), ours.Order());
                Assert.Equal(2_000_000_000L, node.ReservedNanoCpus);
                Assert.Equal(perNode * memoryMiB * 1024L * 1024, node.ReservedMemory);
            }

            var over = await Post(api, Name("sf-over"), cpus, $"{memoryMiB}m");
            var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.ServiceId == over);
            Assert.Equal(FailureReasons.HostCapacity, failed.Reason);
            output.WriteLine($"spread: {count} creations of {cpus} CPU, {memoryMiB}m in {createdIn.TotalSeconds:F1} s; manager {records.Count(r => r.Host == Manager)}, " +
                $"second node {records.Count(r => r.Host == Worker)}; one more: {failed.Reason} ({failed.Message})");
        }
        finally
        {
            await scenario.RemoveMany(api, services);
        }
    }

    [Fact]
    public async Task A_drained_node_s_services_run_on_the_other_node_and_their_records_and_events_follow()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var services = await scenario.CreateMany(api, "sf-drain", 6, "0.1");
        try
        {
            var before = await Records(api, services);
            var onSecond = before.Where(r => r.Host == Worker).ToList();
            Assert.NotEmpty(onSecond);
            Assert.Contains(before, r => r.Host == Manager);

            var clock = Stopwatch.StartNew();
            await system.SetAvailabilityAsync(system.WorkerNodeId, "drain");
            var rescheduled = await WaitUntilRunningOn(onSecond, system.ManagerNodeId, TimeSpan.FromSeconds(90));
            var followed = await ReconcileUntilRecordsSay(api, services, Manager, TimeSpan.FromSeconds(30));
            output.WriteLine($"drain: {onSecond.Count} of 6 services on the second node; all running on the manager after " +
                $"{rescheduled.TotalSeconds:F1} s, records followed after {clock.Elapsed.TotalSeconds:F1} s ({followed} reconcile passes)");

            await AssertMoved(before, onSecond);
            var after = await Records(api, services);
            Assert.Equal(before.Select(r => (r.Id, r.Port)).Order(), after.Select(r => (r.Id, r.Port)).Order()); // same ports
            Assert.Equal(after.Count, after.Select(r => r.Port).Distinct().Count());
            await AssertEachAnswersWhereItsRecordSays(after);

            using var admin = system.Api();
            var second = (await Nodes(admin)).Single(n => n.Id == system.WorkerNodeId);
            Assert.Equal("drain", second.Availability);
            Assert.Empty(second.Services.Intersect(services));
        }
        finally
        {
            await system.SetAvailabilityAsync(system.WorkerNodeId, "active");
            await scenario.RemoveMany(api, services);
        }
    }

    [Fact]
    public async Task A_lost_node_s_services_are_rescheduled_to_the_other_node_and_their_records_and_events_follow()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var services = await scenario.CreateMany(api, "sf-lost", 6, "0.1");
        var killed = false;
        try
        {
            var before = await Records(api, services);
            var onSecond = before.Where(r => r.Host == Worker).ToList();
            Assert.NotEmpty(onSecond);

            var reconciler = system.WorkerServices.GetRequiredService<Reconciler>();
            var clock = Stopwatch.StartNew();
            await system.KillSecondEngineAsync();
            killed = true;
            // A pass every second from the kill on, as a worker with Reconciler:Interval 1 s would run them.
            TimeSpan? down = null, running = null;
            var passes = 0;
            while (true)
            {
                await reconciler.ReconcileAsync(default);
                passes++;
                down ??= (await system.Docker.Swarm.InspectNodeAsync(system.WorkerNodeId)).Status?.State == "down" ? clock.Elapsed : null;
                running ??= await scenario.AllRunning(onSecond, system.ManagerNodeId) ? clock.Elapsed : null;
                if ((await Records(api, services)).All(r => r.Host == Manager))
                    break;
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the records did not follow the rescheduled tasks within 120 s of the kill");
                await Task.Delay(1000);
            }
            var degraded = system.Events.All<ServiceDegraded>(e => services.Contains(e.ServiceId));
            output.WriteLine($"lost node: {onSecond.Count} of 6 services on the second node; node down after {down?.TotalSeconds:F1} s, " +
                $"all running on the manager after {running?.TotalSeconds:F1} s, records followed after {clock.Elapsed.TotalSeconds:F1} s " +
                $"({passes} passes); ServiceDegraded seen: {degraded.Count} ({string.Join(", ", degraded.Select(d => d.Reason).Distinct())})");

            await AssertMoved(before, onSecond);
            // A spell without a task, if a pass saw one, was the node's loss, for a service that was there only.
            Assert.All(degraded, d =>
            {
                Assert.Contains(d.ServiceId, onSecond.Select(r => r.Id));
                Assert.Equal(DegradedReasons.NodeLost, d.Reason);
                Assert.Equal(Worker, d.LastHost);
            });
            var after = await Records(api, services);
            Assert.Equal(before.Select(r => (r.Id, r.Port)).Order(), after.Select(r => (r.Id, r.Port)).Order());
            Assert.Equal(after.Count, after.Select(r => r.Port).Distinct().Count());
            Assert.All(after, r => Assert.Equal("running", r.Status));
            await AssertEachAnswersWhereItsRecordSays(after);

            using var admin = system.Api();
            var second = (await Nodes(admin)).Single(n => n.Id == system.WorkerNodeId);
            Assert.Equal("down", second.State);
            Assert.Empty(second.Services);
        }
        finally
        {
            // Then removing them must work as anywhere else (it once failed here: the network of a service moved off the lost
            // node was "in use by task" of that node, a 400 the removal did not wait out).
            if (killed)
            {
                var restart = Stopwatch.StartNew();
                await system.RestartSecondEngineAsync(); // the node comes back (same data root): the other scenarios need it
                await system.WaitForNodeAsync(system.WorkerNodeId, "ready", TimeSpan.FromSeconds(90));
                output.WriteLine($"second node ready again {restart.Elapsed.TotalSeconds:F1} s after `second-engine.sh up` began (its images loaded again)");
            }
            await scenario.RemoveMany(api, services);
        }
    }

    /// <summary>Each service that was on the second node has one ServiceMoved from it to the manager; the others none.</summary>
    private async Task AssertMoved(IReadOnlyList<ServiceRecord> before, IReadOnlyList<ServiceRecord> onSecond)
    {
        foreach (var record in onSecond)
        {
            var moved = await system.Events.WaitFor<ServiceMoved>(e => e.ServiceId == record.Id, TimeSpan.FromSeconds(10));
            Assert.Equal((Worker, Manager, record.Port), (moved.FromHost, moved.ToHost, moved.HostPort));
            Assert.Single(system.Events.All<ServiceMoved>(e => e.ServiceId == record.Id));
        }
        foreach (var record in before.Except(onSecond))
            Assert.Empty(system.Events.All<ServiceMoved>(e => e.ServiceId == record.Id));
    }

    private async Task<int> ReconcileUntilRecordsSay(HttpClient api, IReadOnlyList<Guid> services, string host, TimeSpan timeout)
    {
        var reconciler = system.WorkerServices.GetRequiredService<Reconciler>();
        var clock = Stopwatch.StartNew();
        for (var passes = 1; ; passes++)
        {
            await reconciler.ReconcileAsync(default);
            if ((await Records(api, services)).All(r => r.Host == host))
                return passes;
            Assert.True(clock.Elapsed < timeout, $"the records do not all say {host} after {passes} reconcile passes");
            await Task.Delay(500);
        }
    }

    private async Task<TimeSpan> WaitUntilRunningOn(IReadOnlyList<ServiceRecord> records, string nodeId, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await scenario.AllRunning(records, nodeId))
        {
            Assert.True(clock.Elapsed < timeout, $"not every service runs on node {nodeId} after {timeout.TotalSeconds} s");
            await Task.Delay(250);
        }
        return clock.Elapsed;
    }


    private sealed record Node(string Id, string Availability, string State, string Address, long ReservedNanoCpus, long ReservedMemory, List<Guid> Services);

    private static async Task<List<Node>> Nodes(HttpClient admin)
    {
        var body = await admin.GetFromJsonAsync<JsonElement>("/api/v1/nodes");
        return body.GetProperty("nodes").EnumerateArray().Select(n => new Node(
            n.GetProperty("id").GetString()!, n.GetProperty("availability").GetString()!, n.GetProperty("state").GetString()!,
            n.GetProperty("address").GetString() ?? "",
            n.GetProperty("reserved").GetProperty("nano_cpus").GetInt64(), n.GetProperty("reserved").GetProperty("memory_bytes").GetInt64(),
            n.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("service_id").GetGuid()).ToList())).ToList();
    }
}
