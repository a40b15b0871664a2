using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.FaultTests.Harness;
using Messaging.State;
using Messaging.Testing;
using ServiceStatus = Messaging.Contracts.ServiceStatus;

namespace Messaging.FaultTests;

/// <summary>
/// Scenarios 8, 9 and 10 (docs/FAULTS.md): the supervisor (issue 14) under faults. Restarts are counted three ways, which must agree: the
/// <c>ServiceRestartedBySupervisor</c> events, the records' <c>restart_count</c>, and the engine's own <c>start</c>
/// events for the container (one for the creation, one per restart). None lost, none doubled.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SupervisionFaultTests(ITestOutputHelper output)
{
    private const string CrashingImage = "messaging-test/supervision:latest";
    private const int MaxRestarts = 4;

    /// <summary>The supervision image on the allowlist, 4 restarts a window, backoff 1-4 s, due restarts looked for every 200 ms.</summary>
    private static readonly Dictionary<string, string> SupervisionSettings = new()
    {
        ["Policy__AllowedImages__2__Image"] = CrashingImage,
        ["Policy__AllowedImages__2__MaxMemory"] = "128m", // not below Policy:DefaultMemory (128m)
        ["Policy__AllowedImages__2__MaxCpus"] = "0.5",
        ["Policy__AllowedImages__2__User"] = "101:101",
        ["Policy__AllowedImages__2__Supervision__MaxRestarts"] = MaxRestarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Supervisor__BackoffBase"] = "00:00:01",
        ["Supervisor__BackoffCap"] = "00:00:04",
        ["Supervisor__DueCheckInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task Kill9_the_worker_while_a_service_is_crash_looping()
    {
        await using var s = await Scenario.StartAsync("supervisor-kill9",
            $"kill -9 the worker while a service exits with code 1 every second and is restarted, restart it (limit {MaxRestarts})", output);
        var settings = s.Settings() with { Extra = SupervisionSettings };
        var worker = s.StartWorker(settings);
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        var commands = await s.PublishCreatesAsync(1, "crash", c => c with
        {
            Image = CrashingImage, Env = new Dictionary<string, string> { ["BEHAVIOUR"] = "exit", ["EXIT_CODE"] = "1", ["EXIT_AFTER"] = "1" },
        });
        var serviceId = commands[0].ServiceId;
        await s.WaitForTerminalAsync(commands, TimeSpan.FromSeconds(60));

        // Killed after its first restart, while the next exit and restart are coming.
        await Scenario.WaitUntilAsync(() => Restarts(s, serviceId).Count >= 1, TimeSpan.FromSeconds(30));
        s.Log($"kill -9 {worker.Name} (pid {worker.Pid}) after restart {Restarts(s, serviceId).Count}");
        await worker.Kill9Async();
        await Task.Delay(TimeSpan.FromSeconds(3)); // the container exits again meanwhile; its restart is due with nobody to do it
        s.StartWorker(settings);

        var looped = await Scenario.WaitUntilAsync(() => s.Bus.All<ServiceCrashLooping>().Any(c => c.ServiceId == serviceId), TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(3)); // anything more would show now
        var checks = await CountChecks(s, serviceId, expectedStatus: ServiceStatus.CrashLooping, expectedRestarts: MaxRestarts);
        checks.Insert(0, new Check("crash_looping reached after the restart", looped ? "yes" : "no", "yes", looped, true));
        checks.Add(new Check("ServiceCrashLooping events", s.Bus.All<ServiceCrashLooping>().Count(c => c.ServiceId == serviceId).ToString(), "1",
            s.Bus.All<ServiceCrashLooping>().Count(c => c.ServiceId == serviceId) == 1, true));
        Verification.AssertAllHold(await s.VerifyAsync(TimeSpan.FromSeconds(30), extraChecks: checks));
    }

    [Fact]
    public async Task The_engine_restarts_while_6_services_run()
    {
        await using var s = await Scenario.StartAsync("supervisor-engine-restart",
            "the engine goes away and its containers stop as in a dockerd restart (3 exit 0 on SIGTERM, 3 are killed), then it returns (N=6)", output);
        var proxy = s.StartProxy();
        var worker = s.StartWorker(s.Settings(dockerEndpoint: proxy.Endpoint) with { Extra = SupervisionSettings });
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        var commands = await s.PublishCreatesAsync(6, "run");
        await s.WaitForTerminalAsync(commands, TimeSpan.FromSeconds(90));

        await proxy.StopAsync();
        s.Log("engine away (proxy stopped); stopping its containers behind the worker's back, as dockerd's shutdown does");
        var containers = commands.Select(c => s.OutcomesOf(c.CommandId).OfType<ServiceCreated>().First().ContainerId).ToList();
        for (var i = 0; i < containers.Count; i++)
        {
            if (i % 2 == 0)
                await s.Docker.Containers.StopContainerAsync(containers[i], new ContainerStopParameters { WaitBeforeKillSeconds = 5 });
            else
                await s.Docker.Containers.KillContainerAsync(containers[i], new ContainerKillParameters { Signal = "SIGKILL" });
        }
        await Task.Delay(TimeSpan.FromSeconds(3));
        proxy.Start();
        s.Log("engine back (proxy started)");

        var back = await Scenario.WaitUntilAsync(() => commands.All(c => Restarts(s, c.ServiceId).Count >= 1), TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(5)); // a doubled restart would show now
        var checks = new List<Check> { new("every service restarted after the engine returned", back ? "yes" : "no", "yes", back, true) };
        foreach (var command in commands)
            checks.AddRange(await CountChecks(s, command.ServiceId, ServiceStatus.Running, expectedRestarts: 1, summaryOnly: true));
        var exits = s.Bus.All<ServiceExited>().Where(e => commands.Any(c => c.ServiceId == e.ServiceId)).ToList();
        checks.Add(new Check("ServiceExited events (exit codes)", $"{exits.Count} ({string.Join(", ", exits.GroupBy(e => e.ExitCode).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))})",
            "6 (0: 3, 137: 3)", exits.Count == 6 && exits.Count(e => e.ExitCode == 0) == 3 && exits.Count(e => e.ExitCode == 137) == 3, true));
        Verification.AssertAllHold(await s.VerifyAsync(TimeSpan.FromSeconds(30), extraChecks: checks));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dockerd_restarts_for_real_while_6_services_run(bool workerKilledToo)
    {
        await using var engine = await SecondEngine.StartAsync("msg-faults", "2");
        await using var s = await Scenario.StartAsync(workerKilledToo ? "supervisor-dockerd-restart-kill9" : "supervisor-dockerd-restart",
            "a real dockerd restart (SIGTERM stops its containers, a fresh dockerd starts without its event log) while 6 services run (N=6)"
            + (workerKilledToo ? ", the worker killed with -9 before it and started again after" : ""),
            output, engine.Endpoint);
        var settings = s.Settings() with { Extra = SupervisionSettings };
        var worker = s.StartWorker(settings);
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        var commands = await s.PublishCreatesAsync(6, "run");
        await s.WaitForTerminalAsync(commands, TimeSpan.FromSeconds(90));

        if (workerKilledToo)
        {
            s.Log($"kill -9 {worker.Name} (pid {worker.Pid})");
            await worker.Kill9Async();
        }
        s.Log("dockerd restart (infra/second-engine.sh restart)");
        var restartedAt = DateTimeOffset.UtcNow;
        await engine.RestartAsync();
        s.Log("dockerd back");
        if (workerKilledToo)
            s.StartWorker(settings); // nothing replays what happened while no worker ran: its start-up sweep must find it

        var back = await Scenario.WaitUntilAsync(() => commands.All(c => Restarts(s, c.ServiceId).Count >= 1), TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(5)); // a doubled restart would show now
        var checks = new List<Check> { new("every service restarted after dockerd returned", back ? "yes" : "no", "yes", back, true) };
        foreach (var command in commands)
        {
            // The new dockerd's event log begins with its own start: it holds only the supervisor's restart.
            checks.AddRange(await CountChecks(s, command.ServiceId, ServiceStatus.Running, expectedRestarts: 1, summaryOnly: true, engineStartsSeen: 1));
            var created = s.OutcomesOf(command.CommandId).OfType<ServiceCreated>().First();
            var inspect = await s.Docker.Containers.InspectContainerAsync(created.ContainerId);
            var startedAfter = DateTimeOffset.Parse(inspect.State!.StartedAt!, System.Globalization.CultureInfo.InvariantCulture) > restartedAt;
            var port = inspect.NetworkSettings?.Ports?.Values.FirstOrDefault()?.FirstOrDefault()?.HostPort;
            var samePort = port == created.HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            checks.Add(new Check($"{command.ServiceName}: container running, started after the restart, same port",
                $"{inspect.State.Running}, {startedAfter}, {samePort}", "True, True, True", inspect.State.Running && startedAfter && samePort, true));
        }
        var exits = s.Bus.All<ServiceExited>().Where(e => commands.Any(c => c.ServiceId == e.ServiceId)).ToList();
        checks.Add(new Check("ServiceExited events", exits.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), "6",
            exits.Count == 6 && exits.Select(e => e.ServiceId).Distinct().Count() == 6, true));
        Verification.AssertAllHold(await s.VerifyAsync(TimeSpan.FromSeconds(30), extraChecks: checks));
    }

    private static List<ServiceRestartedBySupervisor> Restarts(Scenario s, Guid serviceId) =>
        [.. s.Bus.All<ServiceRestartedBySupervisor>().Where(r => r.ServiceId == serviceId)];

    /// <summary>Restarts by event, by record and by the engine's start events agree, and the record's status is the expected one.</summary>
    /// <param name="engineStartsSeen">The starts the engine's event log holds; by default the creation and every restart.</param>
    private static async Task<List<Check>> CountChecks(Scenario s, Guid serviceId, string expectedStatus, int expectedRestarts, bool summaryOnly = false,
        int? engineStartsSeen = null)
    {
        var expectedStarts = engineStartsSeen ?? expectedRestarts + 1;
        var record = await new ServiceRecordStore(s.Redis.Multiplexer, s.Keys).GetAsync(serviceId);
        var events = Restarts(s, serviceId);
        var attempts = events.Select(r => r.Attempt).ToList();
        var engineStarts = record?.ContainerId is { } id ? await EngineStartsAsync(s, id) : -1;
        var label = summaryOnly ? $"{record?.Name}: " : "";
        var ok = record?.Status == expectedStatus && record.RestartCount == expectedRestarts && events.Count == expectedRestarts
                 && attempts.Distinct().Count() == attempts.Count && engineStarts == expectedStarts;
        var value = $"status {record?.Status}, restart_count {record?.RestartCount}, events {events.Count} (attempts {string.Join(",", attempts)}), " +
                    $"engine starts {engineStarts}, last exit {record?.LastExit?.Code}";
        return [new Check($"{label}restarts by record / event / engine", value,
            $"{expectedStatus}, {expectedRestarts} / {expectedRestarts} / {expectedStarts}" + (engineStartsSeen is null ? " (creation + restarts)" : " (since dockerd started)"), ok, true)];
    }

    /// <summary>How many times the engine started the container, from its own event log (creation included).</summary>
    private static async Task<int> EngineStartsAsync(Scenario s, string containerId)
    {
        var starts = 0;
        using var until = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await s.Docker.System.MonitorEventsAsync(new ContainerEventsParameters
        {
            Since = "0",
            Until = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["container"] = new Dictionary<string, bool> { [containerId] = true },
                ["event"] = new Dictionary<string, bool> { ["start"] = true },
            },
        }, new Counter(() => Interlocked.Increment(ref starts)), until.Token);
        return starts;
    }

    /// <summary>Counts as each event arrives (Progress&lt;T&gt; would post to the thread pool and count late under load).</summary>
    private sealed class Counter(Action count) : IProgress<Message>
    {
        public void Report(Message value) => count();
    }
}
