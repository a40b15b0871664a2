using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Contracts;

namespace Messaging.IntegrationTests;

/// <summary>
/// The supervisor on the real engine, with the test image that misbehaves on request (infra/images/supervision) and
/// short backoffs (SystemFixture: base 0.5 s, cap 4 s; the image's entry allows 3 restarts and probes every second).
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SupervisionTests(SystemFixture system)
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    private async Task<(Guid Id, ServiceCreated Created)> Create(HttpClient api, string name, string extra, string memory = "32m",
        string image = SystemFixture.SupervisionImage)
    {
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"{{image}}","memory_limit":"{{memory}}","cpu_limit":0.25{{extra}}}""",
            Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        return (id, await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id));
    }

    private static async Task<JsonElement> Record(HttpClient api, Guid id) =>
        await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}");

    private static async Task<JsonElement> WaitForRecord(HttpClient api, Guid id, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement record;
        do
        {
            record = await Record(api, id);
            if (match(record))
                return record;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"The record never matched: {record}");
        return record;
    }

    private async Task Exec(string containerId, params string[] command)
    {
        var exec = await system.Docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = command, AttachStdout = true, AttachStderr = true,
        });
        using var stream = await system.Docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), default);
        var (_, stderr) = await stream.ReadOutputToEndAsync(default);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task A_container_exiting_with_code_1_is_restarted_with_growing_delays_then_crash_loops_keeping_its_port_and_name()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var name = UniqueName("it-crash");
        var (id, created) = await Create(api, name, ""","env":{"BEHAVIOUR":"exit","EXIT_CODE":"1","EXIT_AFTER":"1"}""");

        var looping = await system.Events.WaitFor<ServiceCrashLooping>(e => e.ServiceId == id, TimeSpan.FromSeconds(60));

        var restarts = system.Events.All<ServiceRestartedBySupervisor>(e => e.ServiceId == id);
        Assert.Equal([1, 2, 3], restarts.Select(r => r.Attempt));
        Assert.All(restarts, r => Assert.Equal("exited", r.Reason));
        // The first restart is immediate; then equal jitter, each delay at least the one before (0.25-0.5 s, 0.5-1 s).
        Assert.Equal(TimeSpan.Zero, restarts[0].Delay);
        Assert.True(restarts[0].Delay < restarts[1].Delay && restarts[1].Delay <= restarts[2].Delay, string.Join(", ", restarts.Select(r => r.Delay)));
        Assert.InRange(restarts[2].Delay, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        var exits = system.Events.All<ServiceExited>(e => e.ServiceId == id);
        Assert.Equal(["restart", "restart", "restart", "crash_looping"], exits.Select(e => e.Action));
        // One event per transition, each exit announced before the restart it led to (the immediate first restart
        // publishes its ServiceExited while the engine starts the container).
        var transitions = system.Events.All<object>(e => e is ServiceExited x && x.ServiceId == id || e is ServiceRestartedBySupervisor r && r.ServiceId == id);
        Assert.Equal(["exit", "restart", "exit", "restart", "exit", "restart", "exit"], transitions.Select(e => e is ServiceExited ? "exit" : "restart"));
        Assert.All(exits, e => Assert.Equal(1, e.ExitCode));
        Assert.Equal(3, looping.Restarts);
        Assert.Equal(1, looping.LastExitCode);

        var record = await Record(api, id);
        Assert.Equal("crash_looping", record.GetProperty("status").GetString());
        Assert.Equal(3, record.GetProperty("restart_count").GetInt32());
        Assert.Equal(1, record.GetProperty("last_exit").GetProperty("code").GetInt32());
        Assert.False(record.GetProperty("last_exit").GetProperty("oom").GetBoolean());
        Assert.Contains("behave: exit 1", record.GetProperty("log_tail").GetString());
        // The same container throughout: port and name kept.
        Assert.Equal(created.HostPort, record.GetProperty("host_port").GetInt32());
        Assert.Equal(created.ContainerId, record.GetProperty("container_id").GetString());
        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.False(inspect.State!.Running);
        Assert.Equal($"/{SystemFixture.Instance}-{name}", inspect.Name);
        Assert.Equal("no", inspect.HostConfig!.RestartPolicy.Name.ToString().ToLowerInvariant());

        // Nothing more once it crash-loops.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(3, system.Events.All<ServiceRestartedBySupervisor>(e => e.ServiceId == id).Count);
        Assert.Single(system.Events.All<ServiceCrashLooping>(e => e.ServiceId == id));

        // A user's restart runs it again with a fresh budget.
        var restart = await api.PostAsync($"/api/v1/services/{id}/restart", null);
        Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        await WaitForRecord(api, id, r => r.GetProperty("status").GetString() == "running", TimeSpan.FromSeconds(30));
        await api.DeleteAsync($"/api/v1/services/{id}");
    }

    [Fact]
    public async Task A_user_stop_is_never_undone_by_the_supervisor()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("it-nostart"), ""","max_restarts":10,"env":{"BEHAVIOUR":"exit","EXIT_CODE":"3","EXIT_AFTER":"1"}""");
        await system.Events.WaitFor<ServiceRestartedBySupervisor>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));

        var stop = await api.PostAsync($"/api/v1/services/{id}/stop", null);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        var commandId = (await stop.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid();
        var stopped = await system.Events.WaitFor<ServiceStopped>(e => e.CommandId == commandId, TimeSpan.FromSeconds(30));

        // Longer than the backoff cap: a restart scheduled before the stop would have come due.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(system.Events.All<ServiceRestartedBySupervisor>(e => e.ServiceId == id), r => r.At > stopped.At);
        Assert.DoesNotContain(system.Events.All<ServiceExited>(e => e.ServiceId == id), e => e.At > stopped.At);
        Assert.Equal("stopped", (await Record(api, id)).GetProperty("status").GetString());
        Assert.False((await system.Docker.Containers.InspectContainerAsync(created.ContainerId)).State!.Running);
        await api.DeleteAsync($"/api/v1/services/{id}");
    }

    [Fact]
    public async Task An_oom_kill_is_recorded_as_such()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        // on_unhealthy report: the entry's 1 s check can fail while the kernel is still reclaiming before it kills (CI saw
        // the supervisor restart the container for being unhealthy first: restart_count 1); this test is about the exit.
        var (id, created) = await Create(api, UniqueName("it-oom"), ""","restart":"never","on_unhealthy":"report","env":{"BEHAVIOUR":"oom"}""", memory: "16m");

        var exited = await system.Events.WaitFor<ServiceExited>(e => e.ServiceId == id, TimeSpan.FromSeconds(60));
        Assert.True(exited.OomKilled);
        Assert.Equal(137, exited.ExitCode);
        Assert.Equal("stop", exited.Action);

        var record = await WaitForRecord(api, id, r => r.GetProperty("status").GetString() == "stopped", TimeSpan.FromSeconds(10));
        Assert.True(record.GetProperty("last_exit").GetProperty("oom").GetBoolean());
        Assert.Equal(137, record.GetProperty("last_exit").GetProperty("code").GetInt32());
        Assert.Empty(system.Events.All<ServiceRestartedBySupervisor>(e => e.ServiceId == id));
        Assert.Equal(0, record.GetProperty("restart_count").GetInt32());
        Assert.True((await system.Docker.Containers.InspectContainerAsync(created.ContainerId)).State!.OOMKilled);
        await api.DeleteAsync($"/api/v1/services/{id}");
    }

    [Fact]
    public async Task An_unhealthy_service_is_restarted_and_recovers()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("it-unwell"), "");
        // Written with running, before the check first ran (never "none" for a service with a check): nothing routes
        // it before it is healthy.
        Assert.Contains((await Record(api, id)).GetProperty("health").GetString(), new[] { "starting", "healthy" });
        var healthy = await system.Events.WaitFor<ServiceHealthy>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        Assert.Equal(created.ServiceName, healthy.ServiceName);
        await WaitForRecord(api, id, r => r.GetProperty("health").GetString() == "healthy", TimeSpan.FromSeconds(5));

        await Exec(created.ContainerId, "touch", "/tmp/unhealthy");
        var unhealthy = await system.Events.WaitFor<ServiceUnhealthy>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        Assert.Equal("restart", unhealthy.Action);
        var restarted = await system.Events.WaitFor<ServiceRestartedBySupervisor>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        Assert.Equal("unhealthy", restarted.Reason);
        // The restart gives the container a fresh /tmp (tmpfs): the check passes again.
        await system.Events.WaitFor<ServiceRecovered>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));

        var record = await WaitForRecord(api, id, r => r.GetProperty("health").GetString() == "healthy", TimeSpan.FromSeconds(10));
        Assert.Equal("running", record.GetProperty("status").GetString());
        Assert.Equal(1, record.GetProperty("restart_count").GetInt32());
        Assert.Single(system.Events.All<ServiceUnhealthy>(e => e.ServiceId == id));
        Assert.Single(system.Events.All<ServiceRecovered>(e => e.ServiceId == id));
        // Healthy again after being unhealthy is ServiceRecovered, not a second first pass.
        Assert.Single(system.Events.All<ServiceHealthy>(e => e.ServiceId == id));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("ok", (await http.GetStringAsync($"http://127.0.0.1:{created.HostPort}/")).Trim());
        await api.DeleteAsync($"/api/v1/services/{id}");
    }

    [Fact, Trait("Category", "Extended")] // long; kept out of the default run (README, "Test it")
    public async Task A_check_the_image_cannot_run_is_probed_by_the_worker_and_acted_on_alike()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("it-bare"), "", image: SystemFixture.BareHttpImage);
        // No HEALTHCHECK on the container (it has no wget to run one): the health comes from the worker's probes.
        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.True(inspect.Config!.Healthcheck?.Test is null or { Count: 0 }, string.Join(' ', inspect.Config.Healthcheck?.Test ?? []));
        Assert.Null(inspect.State!.Health);
        await WaitForRecord(api, id, r => r.GetProperty("health").GetString() == "healthy", TimeSpan.FromSeconds(30));

        await Exec(created.ContainerId, "/bin/busybox", "rm", "/tmp/www/health");
        var unhealthy = await system.Events.WaitFor<ServiceUnhealthy>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        Assert.Equal("restart", unhealthy.Action);
        Assert.Equal("HTTP 404", unhealthy.Output);
        var restarted = await system.Events.WaitFor<ServiceRestartedBySupervisor>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        Assert.Equal(("unhealthy", 1, TimeSpan.Zero), (restarted.Reason, restarted.Attempt, restarted.Delay));
        // The restart gives it a fresh /tmp, with /health back.
        await system.Events.WaitFor<ServiceRecovered>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        var record = await WaitForRecord(api, id, r => r.GetProperty("health").GetString() == "healthy", TimeSpan.FromSeconds(10));
        Assert.Equal(1, record.GetProperty("restart_count").GetInt32());
        Assert.Single(system.Events.All<ServiceUnhealthy>(e => e.ServiceId == id));

        // A user stop ends the probing: nothing is reported for a stopped service.
        var stop = await api.PostAsync($"/api/v1/services/{id}/stop", null);
        var commandId = (await stop.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid();
        await system.Events.WaitFor<ServiceStopped>(e => e.CommandId == commandId, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(4)); // past interval x retries
        Assert.Single(system.Events.All<ServiceUnhealthy>(e => e.ServiceId == id));
        Assert.Equal("none", (await Record(api, id)).GetProperty("health").GetString());
        await api.DeleteAsync($"/api/v1/services/{id}");
    }

    [Fact]
    public async Task An_unhealthy_service_with_on_unhealthy_report_is_only_reported_and_listed_by_health()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("it-report"), ""","on_unhealthy":"report" """);
        await WaitForRecord(api, id, r => r.GetProperty("health").GetString() == "healthy", TimeSpan.FromSeconds(30));

        await Exec(created.ContainerId, "touch", "/tmp/unhealthy");
        var unhealthy = await system.Events.WaitFor<ServiceUnhealthy>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        Assert.Equal("report", unhealthy.Action);
        await WaitForRecord(api, id, r => r.GetProperty("health").GetString() == "unhealthy", TimeSpan.FromSeconds(10));
        var listed = await api.GetFromJsonAsync<JsonElement>("/api/v1/services?health=unhealthy&limit=200");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), item => item.GetProperty("service_id").GetGuid() == id);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/v1/services?health=sickly")).StatusCode);

        await Exec(created.ContainerId, "rm", "/tmp/unhealthy");
        await system.Events.WaitFor<ServiceRecovered>(e => e.ServiceId == id, TimeSpan.FromSeconds(30));
        var record = await WaitForRecord(api, id, r => r.GetProperty("health").GetString() == "healthy", TimeSpan.FromSeconds(10));
        Assert.Empty(system.Events.All<ServiceRestartedBySupervisor>(e => e.ServiceId == id));
        Assert.Equal(0, record.GetProperty("restart_count").GetInt32());
        await api.DeleteAsync($"/api/v1/services/{id}");
    }
}
