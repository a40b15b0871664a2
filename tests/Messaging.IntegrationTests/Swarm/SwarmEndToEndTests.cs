using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker;
using Messaging.Worker.Containers;
using Messaging.Worker.Scheduling;
using Messaging.Worker.Scheduling.Swarm;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Messaging.Testing;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// The same REST API, commands and events with <c>Scheduler:Mode=swarm</c>, on a real one-node swarm
/// (<see cref="SwarmFixture"/>): a service is a replicated Swarm service with the container path's guard rails, its
/// lifecycle is scaling and forced updates, and services cannot reach each other.
/// </summary>
[Collection(SwarmCollection.Name)]
[Trait("Category", "Swarm")]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SwarmEndToEndTests(SwarmFixture system)
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task A_service_on_swarm_is_one_hardened_replicated_service_on_its_own_overlay_with_a_host_mode_port()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("sw-create"));

        var service = await system.Docker.Swarm.InspectServiceAsync(created.ContainerId);
        Assert.Equal(1UL, service.Spec!.Mode!.Replicated!.Replicas);
        Assert.Equal(id.ToString("D"), service.Spec.Labels![ContainerLabels.ServiceId]);
        var container = service.Spec.TaskTemplate!.ContainerSpec!;
        Assert.Equal(id.ToString("D"), container.Labels![ContainerLabels.ServiceId]);
        Assert.Equal(new[] { "ALL" }, container.CapabilityDrop!);
        Assert.True(container.ReadOnly);
        Assert.Equal("101:101", container.User);
        var resources = service.Spec.TaskTemplate.Resources!;
        Assert.Equal(64L * 1024 * 1024, resources.Limits!.MemoryBytes);
        Assert.Equal(64L * 1024 * 1024, resources.Reservations!.MemoryBytes);
        Assert.Equal(250_000_000L, resources.Limits.NanoCPUs);
        Assert.Equal(250_000_000L, resources.Reservations.NanoCPUs);
        Assert.Equal(256L, resources.Limits.Pids);
        Assert.Equal("any", service.Spec.TaskTemplate.RestartPolicy!.Condition);
        var port = Assert.Single(service.Spec.EndpointSpec!.Ports!);
        Assert.Equal(("host", (uint)created.HostPort, 80u), (port.PublishMode, port.PublishedPort!.Value, port.TargetPort!.Value));

        // Its own overlay network, labelled for it, and nothing else on it.
        var attachment = Assert.Single(service.Spec.TaskTemplate.Networks!);
        var network = await system.Docker.Networks.InspectNetworkAsync(attachment.Target!);
        Assert.Equal("overlay", network.Driver);
        Assert.Equal(id.ToString("D"), network.Labels![ContainerLabels.ServiceId]);
        Assert.False(network.Attachable);

        // The task's container on this node carries our labels and the hardening.
        var task = await RunningTask(created.ContainerId);
        var inspected = await system.Docker.Containers.InspectContainerAsync(task.Status!.ContainerStatus!.ContainerID);
        Assert.Equal(id.ToString("D"), inspected.Config!.Labels![ContainerLabels.ServiceId]);
        Assert.Contains("ALL", inspected.HostConfig!.CapDrop!);
        Assert.True(inspected.HostConfig.ReadonlyRootfs);
        Assert.Equal(256L, inspected.HostConfig.PidsLimit);
        Assert.Equal(64L * 1024 * 1024, inspected.HostConfig.Memory);

        Assert.Contains("messaging test image", await ServingPort.GetStringAsync(created.HostPort));
        var record = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}");
        Assert.Equal("running", record.GetProperty("status").GetString());
        Assert.Equal("127.0.0.1", created.Host); // the node's address: the swarm was made advertising 127.0.0.1
        await Remove(api, id);
    }

    [Fact]
    public async Task Stop_scales_to_zero_start_to_one_restart_replaces_the_task_logs_come_from_the_service_and_remove_frees_everything()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("sw-life"));
        var serviceId = created.ContainerId;
        Assert.Single((await system.Docker.Swarm.InspectServiceAsync(serviceId)).Spec!.TaskTemplate!.Networks!); // its own network only

        await Command<ServiceStopped>(api, HttpMethod.Post, $"/api/v1/services/{id}/stop");
        Assert.Equal(0UL, (await system.Docker.Swarm.InspectServiceAsync(serviceId)).Spec!.Mode!.Replicated!.Replicas);
        Assert.Null(await RunningTaskOrNull(serviceId));
        Assert.Equal("stopped", await Status(api, id));
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{created.HostPort}/"));

        await Command<ServiceStarted>(api, HttpMethod.Post, $"/api/v1/services/{id}/start");
        Assert.Equal(1UL, (await system.Docker.Swarm.InspectServiceAsync(serviceId)).Spec!.Mode!.Replicated!.Replicas);
        Assert.Contains("messaging test image", await ServingPort.GetStringAsync(created.HostPort));
        Assert.Equal("running", await Status(api, id));

        var before = (await RunningTask(serviceId)).ID;
        await Command<ServiceRestarted>(api, HttpMethod.Post, $"/api/v1/services/{id}/restart");
        Assert.NotEqual(before, (await RunningTask(serviceId)).ID);
        Assert.Contains("messaging test image", await ServingPort.GetStringAsync(created.HostPort));

        // Logs through the service logs endpoint: the stand-in's httpd -v logs a line per request, with its status.
        (await ServingPort.GetAsync(created.HostPort, "/missing")).Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<string> lines;
        do
        {
            var logs = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/logs?tail=50");
            lines = logs.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToList();
        } while (!lines.Any(l => l.Contains("response:404")) && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));
        Assert.Contains(lines, l => l.Contains("response:404"));

        var removed = await Remove(api, id);
        Assert.Equal(created.HostPort, removed.HostPort);
        await Assert.ThrowsAsync<Docker.DotNet.DockerApiException>(() => system.Docker.Swarm.InspectServiceAsync(serviceId));
        // Not asserted: the service's overlay network was still listed right after the removal in the runs here
        // (docs/OPERATIONS.md, known limits); `swarm leave` at the end takes it.
        Assert.False(await system.Redis.HashExistsAsync(new RedisKeys(system.KeyPrefix).Ports, created.HostPort));
        Assert.Equal("removed", await Status(api, id));
    }

    [Fact]
    public async Task Services_on_swarm_cannot_reach_each_other_over_their_overlay_networks()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (idA, a) = await Create(api, UniqueName("sw-iso-a"));
        var (idB, b) = await Create(api, UniqueName("sw-iso-b"));
        var taskA = await RunningTask(a.ContainerId);
        var taskB = await RunningTask(b.ContainerId);
        var addressA = Assert.Single(taskA.NetworksAttachments!).Addresses![0].Split('/')[0];
        var addressB = Assert.Single(taskB.NetworksAttachments!).Addresses![0].Split('/')[0];
        var containerA = taskA.Status!.ContainerStatus!.ContainerID;
        var containerB = taskB.Status!.ContainerStatus!.ContainerID;

        // Requests are raw HTTP through nc: Debian's static busybox 1.35 wget segfaults (exit 139) when given -T, which is
        // why an earlier version of this test saw no control request in A's log. Whether one arrived
        // is read from the receiving service's log: busybox httpd -v logs "[client]:port: response:404" for a missing path
        // (the health check asks only "/"). A connection that merely opens proves nothing, as this machine's uplink
        // accepts TCP to any outside address, and another overlay's address is outside for A's task.
        // Controls: each task reaches its own overlay address, and B's log shows such a request with B's address.
        Assert.Contains("404", await HttpFrom(containerA, addressA, "/control-a"));
        Assert.True(await LogsEventuallyContain(api, idA, $"{addressA}]:", "response:404"), "A's request to its own overlay address is in A's log");

        var probe = await HttpFrom(containerA, addressB, "/probe-from-a"); // what A got back, if anything: for the message only
        Assert.Contains("404", await HttpFrom(containerB, addressB, "/control-b")); // after A's probe: B's log is read past it
        Assert.True(await LogsEventuallyContain(api, idB, $"{addressB}]:", "response:404"), "B's request to its own overlay address is in B's log");

        var foreign = (await LogLines(api, idB)).Where(l => l.Contains("response:404", StringComparison.Ordinal) && !l.Contains($"{addressB}]:", StringComparison.Ordinal)).ToList();
        Assert.True(foreign.Count == 0, $"A's request to B's overlay address {addressB} reached B: {string.Join(" | ", foreign)} (A got: {probe})");
        await Remove(api, idA);
        await Remove(api, idB);
    }

    [Fact]
    public async Task Services_on_swarm_cannot_reach_each_other_at_a_nodes_published_ports_and_could_without_the_nodes_firewall_rules()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (idA, a) = await Create(api, UniqueName("sw-port-a"));
        var (idB, b) = await Create(api, UniqueName("sw-port-b"));
        var containerA = (await RunningTask(a.ContainerId)).Status!.ContainerStatus!.ContainerID;
        // Every address of this node a task could try: its own gateway (docker_gwbridge) and the host's other addresses.
        var (_, route) = await ExecOutput(containerA, "sh", "-c", "ip route | awk '/^default/ {print $3; exit}'");
        var gateway = route.Trim();
        var addresses = NetworkInterface.GetAllNetworkInterfaces().Where(i => i.OperationalStatus == OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address)
            .Where(ip => ip.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(ip)).Select(ip => ip.ToString())
            .Prepend(gateway).Distinct().ToList();
        Assert.Contains(gateway, addresses);
        try
        {
            // Control: B answers at its published port, for clients outside the tasks' bridge (as the edge is).
            using (var direct = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
                Assert.Equal(HttpStatusCode.NotFound, (await direct.GetAsync($"http://127.0.0.1:{b.HostPort}/from-the-host")).StatusCode);

            // From A's task, at every address of the node: dropped (nc times out), neither answered nor refused.
            var answers = await Task.WhenAll(addresses.Select(async address => (address, got: await HttpFrom(containerA, address, "/from-a", b.HostPort))));
            Assert.All(answers, x => Assert.True(x.got.Contains("timed out", StringComparison.Ordinal), $"A reached {x.address}:{b.HostPort}: '{x.got}'"));

            // The hole the rules close is real: without them A reaches B at its node's gateway.
            await SwarmFixture.OpenPublishedPortsToTasksAsync();
            Assert.Contains("404", await HttpFrom(containerA, gateway, "/from-a-unguarded", b.HostPort));
        }
        finally
        {
            await SwarmFixture.ClosePublishedPortsToTasksAsync();
        }
        Assert.Contains("timed out", await HttpFrom(containerA, gateway, "/from-a-guarded-again", b.HostPort));
        await Remove(api, idA);
        await Remove(api, idB);
    }

    [Fact]
    public async Task The_worker_refuses_to_start_on_a_swarm_whose_node_lets_a_task_open_the_published_port_range()
    {
        using var worker = system.BuildWorker(("Scheduler:Swarm:RequirePortIsolation", "true"));
        await SwarmFixture.OpenPublishedPortsToTasksAsync();
        InvalidOperationException refused;
        try
        {
            refused = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.StartAsync());
        }
        finally
        {
            await SwarmFixture.ClosePublishedPortsToTasksAsync();
        }
        Assert.Contains($"can open the published port range {SwarmFixture.PortRange}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("exit (3)", refused.Message, StringComparison.Ordinal); // the probe ran and got through, not a probe that never ran
        Assert.Contains("infra/port-isolation.sh install", refused.Message, StringComparison.Ordinal);
        // The check's job is gone, and its network once the manager has let go of it (a swarm network's removal is not instant).
        Assert.DoesNotContain(await system.Docker.Swarm.ListServicesAsync(), s => s.Spec!.Labels?.ContainsKey(SwarmReadiness.ProbeLabel) == true);
        await Eventually(async () => !(await system.Docker.Networks.ListNetworksAsync()).Any(n => n.Labels?.ContainsKey(SwarmReadiness.ProbeLabel) == true), 30);

        // With the rules back, the same check passes (run alone: a second whole worker would share the run's queues).
        using var again = system.BuildWorker(("Scheduler:Swarm:RequirePortIsolation", "true"));
        await again.Services.GetServices<IHostedService>().OfType<SwarmReadiness>().Single().StartAsync(CancellationToken.None);
    }

    /// <summary>A GET from inside a container through nc: the first line of the answer, or nc's error.</summary>
    private async Task<string> HttpFrom(string containerId, string address, string path, int port = 80)
    {
        var (_, output) = await ExecOutput(containerId, "sh", "-c",
            $"printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {address} {port} 2>&1 | head -1");
        return output.Trim();
    }

    private static async Task<List<string>> LogLines(HttpClient api, Guid id)
    {
        var logs = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/logs?tail=200");
        return logs.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToList();
    }

    private static async Task<bool> LogsEventuallyContain(HttpClient api, Guid id, string text, string alsoText, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        do
        {
            if ((await LogLines(api, id)).Any(l => l.Contains(text, StringComparison.Ordinal) && l.Contains(alsoText, StringComparison.Ordinal)))
                return true;
            await Task.Delay(300);
        } while (DateTime.UtcNow < deadline);
        return false;
    }

    [Fact]
    public async Task A_record_whose_host_is_not_where_the_task_runs_follows_the_task_at_the_next_reconcile_pass()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, _) = await Create(api, UniqueName("sw-move"));
        // As after Swarm rescheduled the task elsewhere: the record still names the node it ran on before.
        var records = system.WorkerServices.GetRequiredService<ServiceRecordStore>();
        await records.SaveAsync((await records.GetAsync(id))! with { Host = "192.0.2.250" });

        await system.WorkerServices.GetRequiredService<Messaging.Worker.Reconciliation.Reconciler>().ReconcileAsync(default);

        Assert.Equal("127.0.0.1", (await records.GetAsync(id))!.Host); // the node its running task is on
        var moved = await system.Events.WaitFor<ServiceMoved>(e => e.ServiceId == id);
        Assert.Equal(("192.0.2.250", "127.0.0.1"), (moved.FromHost, moved.ToHost));
        Assert.Equal((await system.Docker.Swarm.ListNodesAsync()).Single().Description!.Hostname, moved.ToNode);
        // A service event like the others: in the service's trail (the drift correction it replaced was not, not being one).
        Assert.True(await TrailEventuallyHas(api, id, nameof(ServiceMoved)), "ServiceMoved in the service's trail");
        await Remove(api, id);
    }

    [Fact]
    public async Task A_task_that_cannot_run_is_one_service_degraded_and_running_again_on_its_node_is_service_recovered()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("sw-degr"));
        var reconciler = system.WorkerServices.GetRequiredService<Messaging.Worker.Reconciliation.Reconciler>();
        // As an operator's mistake would: a constraint no node meets, so Swarm replaces the task with one that waits for a node.
        await UpdateConstraints(created.ContainerId, ["node.labels.messaging-test-nowhere==true"]);
        await Eventually(async () => (await system.Docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [created.ContainerId] = true } },
        })).Any(t => t.Status?.Err?.StartsWith("no suitable node", StringComparison.Ordinal) == true)
            && await RunningTaskOrNull(created.ContainerId) is null);

        await reconciler.ReconcileAsync(default);
        await reconciler.ReconcileAsync(default); // announced once

        var degraded = await system.Events.WaitFor<ServiceDegraded>(e => e.ServiceId == id);
        Assert.Equal(DegradedReasons.NoSuitableNode, degraded.Reason);
        Assert.Contains("no suitable node", degraded.Detail);
        Assert.Equal("127.0.0.1", degraded.LastHost);
        Assert.Single(system.Events.All<ServiceDegraded>(e => e.ServiceId == id));
        Assert.Equal("running", await Status(api, id)); // Swarm still means it to run

        await UpdateConstraints(created.ContainerId, []);
        await Eventually(async () => await RunningTaskOrNull(created.ContainerId) is not null);
        await reconciler.ReconcileAsync(default);

        await system.Events.WaitFor<ServiceRecovered>(e => e.ServiceId == id);
        Assert.True(await TrailEventuallyHas(api, id, nameof(ServiceDegraded)), "ServiceDegraded in the service's trail");
        await Remove(api, id);
    }

    private async Task UpdateConstraints(string serviceId, IList<string> constraints)
    {
        for (var attempt = 1; ; attempt++)
        {
            var service = await system.Docker.Swarm.InspectServiceAsync(serviceId);
            var spec = service.Spec!;
            spec.TaskTemplate!.Placement = new Placement { Constraints = constraints };
            try
            {
                await system.Docker.Swarm.UpdateServiceAsync(serviceId, new ServiceUpdateParameters { Service = spec, Version = (long)service.Version!.Index!.Value });
                return;
            }
            catch (Docker.DotNet.DockerApiException e) when (attempt < 10 && e.ResponseBody?.Contains("out of sequence", StringComparison.Ordinal) == true)
            {
                await Task.Delay(100); // Swarm wrote the service since it was read
            }
        }
    }

    private static async Task Eventually(Func<Task<bool>> condition, int seconds = 45)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(250);
        }
    }

    private static async Task<bool> TrailEventuallyHas(HttpClient api, Guid id, string type, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        do
        {
            var trail = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events");
            if (trail.GetProperty("items").EnumerateArray().Any(e => e.GetProperty("type").GetString() == type))
                return true;
            await Task.Delay(300);
        } while (DateTime.UtcNow < deadline);
        return false;
    }

    [Fact]
    public async Task Nodes_shows_the_swarm_node_with_what_our_running_service_reserves_there_to_admin_only()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("sw-nodes"));
        using var admin = system.Api();

        var body = await admin.GetFromJsonAsync<JsonElement>("/api/v1/nodes");

        Assert.Equal("swarm", body.GetProperty("scheduler").GetString());
        var node = Assert.Single(body.GetProperty("nodes").EnumerateArray());
        var engine = (await system.Docker.Swarm.ListNodesAsync()).Single();
        Assert.Equal((engine.ID, engine.Description!.Hostname, "manager", "active", "ready", created.Host),
            (node.GetProperty("id").GetString(), node.GetProperty("hostname").GetString(), node.GetProperty("role").GetString(),
             node.GetProperty("availability").GetString(), node.GetProperty("state").GetString(), node.GetProperty("address").GetString()));
        Assert.Equal(engine.Description.Resources!.MemoryBytes, node.GetProperty("resources").GetProperty("memory_bytes").GetInt64());
        Assert.Equal(engine.Description.Resources.NanoCPUs, node.GetProperty("resources").GetProperty("nano_cpus").GetInt64());
        // Other tests' services may run beside it: at least its own reservation (64m, 0.25 CPU), and it among the services.
        Assert.True(node.GetProperty("reserved").GetProperty("memory_bytes").GetInt64() >= 64L * 1024 * 1024);
        Assert.True(node.GetProperty("reserved").GetProperty("nano_cpus").GetInt64() >= 250_000_000);
        Assert.Contains(node.GetProperty("services").EnumerateArray(), s => s.GetProperty("service_id").GetGuid() == id);

        var forbidden = await api.GetAsync("/api/v1/nodes");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType!.MediaType);

        await Command<ServiceStopped>(api, HttpMethod.Post, $"/api/v1/services/{id}/stop");
        var after = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/nodes")).GetProperty("nodes").EnumerateArray());
        Assert.DoesNotContain(after.GetProperty("services").EnumerateArray(), s => s.GetProperty("service_id").GetGuid() == id);
        await Remove(api, id);
    }

    [Fact]
    public async Task A_service_whose_node_labels_no_node_has_fails_at_once_and_runs_once_an_operator_labels_the_node()
    {
        // The adapter itself, on the fixture's swarm: the allowlist entry's RequiredNodeLabels arrive as this constraint.
        var options = Options.Create(new DockerOptions { Endpoint = TestEnvironment.DockerEndpoint, Instance = SystemFixture.Instance });
        var runtime = new SwarmServiceRuntime(system.Docker, options,
            Options.Create(new SchedulerOptions { Mode = SchedulerMode.Swarm, Swarm = new SwarmOptions { TaskStartTimeout = TimeSpan.FromSeconds(30) } }),
            NullLogger<SwarmServiceRuntime>.Instance);
        var serviceId = Guid.NewGuid();
        var spec = new Messaging.Worker.Containers.ContainerSpec
        {
            Name = $"{SystemFixture.Instance}-{UniqueName("sw-place")}",
            Image = "nginx:alpine",
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.Managed] = "true", [ContainerLabels.Instance] = SystemFixture.Instance, [ContainerLabels.ServiceId] = serviceId.ToString("D"),
            },
            Port = new PublishedPort(80, "127.0.0.1", 0),
            MemoryBytes = 32 * 1024 * 1024, NanoCpus = 100_000_000, PidsLimit = 64, User = "101:101", ReadOnlyRootfs = false,
            Network = "", Logs = new LogLimits("1m", 1),
            NodeConstraints = ["node.labels.messaging-test-zone==blue"],
        };
        var container = new ServiceContainer(await runtime.CreateAsync(spec, default), serviceId);
        var node = (await system.Docker.Swarm.ListNodesAsync()).Single();
        try
        {
            var refused = await Assert.ThrowsAsync<ContainerRuntimeException>(() => runtime.StartAsync(container, 0, default));
            Assert.Contains("no suitable node", refused.Message, StringComparison.Ordinal);
            await runtime.RemoveAsync(container, default); // as the creation does after a failed start

            await SetNodeLabels(node.ID!, new Dictionary<string, string> { ["messaging-test-zone"] = "blue" });
            container = new ServiceContainer(await runtime.CreateAsync(spec, default), serviceId);
            Assert.Equal("127.0.0.1", await runtime.StartAsync(container, 0, default));
            Assert.Equal(new[] { "node.labels.messaging-test-zone==blue" },
                (await system.Docker.Swarm.InspectServiceAsync(container.Id)).Spec!.TaskTemplate!.Placement!.Constraints!);
        }
        finally
        {
            await runtime.RemoveAsync(container, default);
            await SetNodeLabels(node.ID!, new Dictionary<string, string>());
        }
    }

    /// <summary>
    /// A node update as an operator's <c>docker node update</c> makes it: at the version just read, again on "update out
    /// of sequence" (the manager writes the node's own record too, e.g. its status, between the read and the update).
    /// </summary>
    private async Task SetNodeLabels(string nodeId, IDictionary<string, string> labels)
    {
        for (var attempt = 1; ; attempt++)
        {
            var node = await system.Docker.Swarm.InspectNodeAsync(nodeId);
            try
            {
                await system.Docker.Swarm.UpdateNodeAsync(nodeId, node.Version!.Index!.Value,
                    new NodeUpdateParameters { Role = node.Spec!.Role, Availability = node.Spec.Availability, Name = node.Spec.Name, Labels = labels });
                return;
            }
            catch (Docker.DotNet.DockerApiException e) when (attempt < 20 && e.ResponseBody?.Contains("out of sequence", StringComparison.Ordinal) == true)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task The_worker_refuses_to_start_on_a_swarm_whose_node_lacks_daemon_wide_no_new_privileges()
    {
        using var worker = system.BuildWorker(("Scheduler:Swarm:RequireNoNewPrivileges", "true"));
        if (system.EngineSetsNoNewPrivileges)
        {
            // every node (this one) passes (the check alone; a second whole worker would share the run's queues)
            await worker.Services.GetServices<IHostedService>().OfType<SwarmReadiness>().Single().StartAsync(CancellationToken.None);
            return;
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.StartAsync());
        Assert.Contains("do not set no-new-privileges daemon-wide", refused.Message, StringComparison.Ordinal);
        Assert.Contains("probe Failed", refused.Message, StringComparison.Ordinal); // the node's probe ran and found NoNewPrivs 0
        // The check's job is gone again.
        Assert.DoesNotContain(await system.Docker.Swarm.ListServicesAsync(), s => s.Spec!.Labels?.ContainsKey(SwarmReadiness.ProbeLabel) == true);
    }

    private async Task<(Guid Id, ServiceCreated Created)> Create(HttpClient api, string name)
    {
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        try
        {
            return (id, await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"No ServiceCreated; the record: {await api.GetStringAsync($"/api/v1/services/{id}")}", e);
        }
    }

    private async Task<ServiceRemoved> Remove(HttpClient api, Guid id) => await Command<ServiceRemoved>(api, HttpMethod.Delete, $"/api/v1/services/{id}");

    private async Task<T> Command<T>(HttpClient api, HttpMethod method, string path) where T : class, IServiceLifecycleEvent
    {
        var response = await api.SendAsync(new HttpRequestMessage(method, path));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var commandId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid();
        return await system.Events.WaitFor<T>(e => e.CommandId == commandId);
    }

    private static async Task<string> Status(HttpClient api, Guid id) =>
        (await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}")).GetProperty("status").GetString()!;

    private async Task<TaskResponse?> RunningTaskOrNull(string serviceId) =>
        (await system.Docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        })).FirstOrDefault(t => t.Status?.State == TaskState.Running);

    private async Task<TaskResponse> RunningTask(string serviceId) =>
        await RunningTaskOrNull(serviceId) ?? throw new Xunit.Sdk.XunitException($"service {serviceId} has no running task");

    private async Task<(long ExitCode, string Output)> ExecOutput(string containerId, params string[] command)
    {
        var exec = await system.Docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = command, AttachStdout = true, AttachStderr = true,
        });
        string stdout, stderr;
        using (var stream = await system.Docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), default))
            (stdout, stderr) = await stream.ReadOutputToEndAsync(default);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var state = await system.Docker.Exec.InspectContainerExecAsync(exec.ID);
            if (!state.Running || DateTime.UtcNow > deadline)
                return (state.ExitCode ?? -1, stdout + stderr);
            await Task.Delay(100);
        }
    }
}
