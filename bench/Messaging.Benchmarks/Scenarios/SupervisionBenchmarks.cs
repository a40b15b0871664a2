using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Benchmarks.Infrastructure;
using Messaging.Contracts;
using ServiceStatus = Messaging.Contracts.ServiceStatus;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// Issue 14's figures, on one API + worker pair as shipped (the supervisor's own settings untouched):
/// (7) detection: <c>docker kill</c> of a service's container -> <c>ServiceExited</c> heard by a subscriber, and a
/// health check turning bad -> <c>ServiceUnhealthy</c>, against interval x retries + 1 s;
/// (8) recovery: kill -> the service's port answers again, next to the engine's own start of a killed container
/// (the identical spec) in the same run;
/// (9) overhead: the worker's CPU and RSS while N supervised services sit idle.
/// </summary>
public static class SupervisionBenchmarks
{
    /// <summary>The image of infra/images/supervision (busybox httpd; a command check the bench can make fail).</summary>
    private const string SupervisionImage = "messaging-test/supervision:latest";
    private const int HealthIntervalSeconds = 1;
    private const int HealthRetries = 3;

    /// <summary>How long the fleet is left alone before the overhead window opens (two reconciler and sweep intervals).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);

    /// <summary>
    /// An allowlist entry for the test image whose health check fails while <c>/tmp/unhealthy</c> exists (the shipped
    /// nginx:alpine entry's check asks for <c>/</c>, which a read-only image cannot be made to fail). Interval and retries
    /// short, so that trials take seconds; the figure is compared with exactly these.
    /// </summary>
    private static readonly Dictionary<string, string> SupervisionEntry = new()
    {
        ["Policy:AllowedImages:2:Image"] = SupervisionImage,
        ["Policy:AllowedImages:2:MaxMemory"] = "128m",
        ["Policy:AllowedImages:2:MaxCpus"] = "0.5",
        ["Policy:AllowedImages:2:InternalPort"] = "80",
        ["Policy:AllowedImages:2:User"] = "101:101",
        ["Policy:AllowedImages:2:HealthCheck:Kind"] = "command",
        ["Policy:AllowedImages:2:HealthCheck:Run:0"] = "sh",
        ["Policy:AllowedImages:2:HealthCheck:Run:1"] = "-c",
        ["Policy:AllowedImages:2:HealthCheck:Run:2"] = "test ! -e /tmp/unhealthy",
        ["Policy:AllowedImages:2:HealthCheck:Interval"] = $"00:00:{HealthIntervalSeconds:00}",
        ["Policy:AllowedImages:2:HealthCheck:Timeout"] = "00:00:01",
        ["Policy:AllowedImages:2:HealthCheck:Retries"] = HealthRetries.ToString(CultureInfo.InvariantCulture),
    };

    private static readonly string[] EventTypes =
    [
        nameof(ServiceCreated), nameof(ServiceCreationFailed), nameof(ServiceStarted), nameof(ServiceExited),
        nameof(ServiceUnhealthy), nameof(ServiceRecovered), nameof(ServiceRestartedBySupervisor), nameof(ServiceCrashLooping),
    ];

    public static async Task RunAsync(BenchContext context, ResultTable table, bool detection, bool recovery, bool overhead)
    {
        await using var system = await SystemUnderTest.StartAsync(context, "s", withWorker: true, SupervisionEntry);
        await using var events = await ServiceEventLog.StartAsync(EventTypes);
        var docker = new DockerBaseline(system.Parts.Docker);
        using var _ = context.OnCleanup("containers of part s", async () =>
        {
            await docker.RemoveAllAsync(BenchContext.Instance);
            await docker.RemoveAllAsync(BenchContext.RawInstance);
        });
        await docker.RemoveAllAsync(BenchContext.Instance);
        await docker.EnsureNetworkAsync(BenchContext.Network);
        var services = new Services(context, system, events);

        if (detection)
        {
            await ExitDetectionAsync(context, table, services, docker);
            await UnhealthyDetectionAsync(context, table, services);
            await docker.RemoveAllAsync(BenchContext.Instance);
        }
        if (recovery)
        {
            await RecoveryAsync(context, table, services, docker);
            await docker.RemoveAllAsync(BenchContext.Instance);
            await docker.RemoveAllAsync(BenchContext.RawInstance);
        }
        if (overhead)
        {
            await OverheadAsync(context, table, services, system);
            await docker.RemoveAllAsync(BenchContext.Instance, parallel: 8);
        }
    }

    /// <summary>
    /// One service with <c>restart: never</c>, killed <c>--trials</c> times (started again through the API in between,
    /// so no backoff or crash-loop limit comes into it): kill sent -> <c>ServiceExited</c> received.
    /// </summary>
    private static async Task ExitDetectionAsync(BenchContext context, ResultTable table, Services services, DockerBaseline docker)
    {
        var trials = context.Options.Trials;
        var (serviceId, created) = await services.CreateAsync("nginx:alpine", """ "restart":"never" """);
        var containerId = created.Message.GetProperty("containerId").GetString()!;
        BenchContext.Log($"detection: {trials} kills of one service (restart: never), each answered by ServiceExited (load {BenchContext.LoadAverage()})");
        var latencies = new List<double>();
        var wrongAction = 0;
        for (var i = 0; i < trials; i++)
        {
            await services.WaitServingAsync(serviceId, TimeSpan.FromSeconds(30));
            await Task.Delay(500, context.Cancel); // the supervisor has seen the start too
            var sent = Clock.Now;
            await docker.Client.Containers.KillContainerAsync(containerId, new ContainerKillParameters(), context.Cancel);
            var exited = await services.Events.WaitAsync(serviceId, nameof(ServiceExited), sent, TimeSpan.FromSeconds(30), context.Cancel);
            latencies.Add(Clock.Ms(sent, exited.ReceivedTicks));
            if (exited.Message.GetProperty("action").GetString() != "stop")
                wrongAction++;
            await services.WaitForStatusAsync(serviceId, ServiceStatus.Stopped, TimeSpan.FromSeconds(30));
            var started = Clock.Now;
            await services.SendAsync(serviceId, "start");
            await services.Events.WaitAsync(serviceId, nameof(ServiceStarted), started, TimeSpan.FromSeconds(60), context.Cancel);
        }
        var stats = new Stats(latencies);
        BenchContext.Log($"detection: kill -> ServiceExited {stats}");
        table.Add(new ResultRow
        {
            Id = "supervision.exit.p95", Figure = $"kill -> ServiceExited p95 ({trials} kills)", Unit = "ms", Value = stats.P95,
            TargetOn = "value", Target = 1000, Direction = Better.Lower,
            Note = $"p50 {stats.P50:F0} ms, max {stats.Max:F0} ms; docker kill through the Engine API, event received by a subscriber of the bench's own" +
                   (wrongAction > 0 ? $"; {wrongAction} event(s) with an action other than stop" : ""),
        });
        table.Add(new ResultRow { Id = "supervision.exit.p50", Figure = "kill -> ServiceExited p50", Unit = "ms", Value = stats.P50 });
        table.Detail("supervision.exit", new { trials, load = BenchContext.LoadAverage(), latency_ms = stats.Summary(), samples_ms = latencies.Select(l => Math.Round(l, 1)) });
    }

    /// <summary>
    /// A service of the test image whose check fails while <c>/tmp/unhealthy</c> exists (<c>on_unhealthy: report</c>):
    /// the file made (docker exec) -> <c>ServiceUnhealthy</c>; the file removed -> healthy again before the next trial.
    /// </summary>
    private static async Task UnhealthyDetectionAsync(BenchContext context, ResultTable table, Services services)
    {
        const int trials = 5;
        var target = HealthIntervalSeconds * HealthRetries * 1000 + 1000;
        var (serviceId, created) = await services.CreateAsync(SupervisionImage, """ "on_unhealthy":"report" """);
        var containerId = created.Message.GetProperty("containerId").GetString()!;
        BenchContext.Log($"detection: {trials} times health check turned bad -> ServiceUnhealthy (interval {HealthIntervalSeconds} s x {HealthRetries} retries)");
        var latencies = new List<double>();
        for (var i = 0; i < trials; i++)
        {
            await services.WaitForHealthAsync(serviceId, ServiceHealth.Healthy, TimeSpan.FromSeconds(60));
            await DockerExecAsync(containerId, "touch", "/tmp/unhealthy");
            var made = Clock.Now;
            var unhealthy = await services.Events.WaitAsync(serviceId, nameof(ServiceUnhealthy), made, TimeSpan.FromSeconds(60), context.Cancel);
            latencies.Add(Clock.Ms(made, unhealthy.ReceivedTicks));
            await DockerExecAsync(containerId, "rm", "-f", "/tmp/unhealthy");
        }
        var stats = new Stats(latencies);
        BenchContext.Log($"detection: bad health check -> ServiceUnhealthy {stats}");
        table.Add(new ResultRow
        {
            Id = "supervision.unhealthy.max", Figure = $"check turns bad -> ServiceUnhealthy, worst of {trials}", Unit = "ms", Value = stats.Max,
            TargetOn = "value", Target = target, Direction = Better.Lower,
            Note = $"p50 {stats.P50:F0} ms; Docker HEALTHCHECK every {HealthIntervalSeconds} s, unhealthy after {HealthRetries} failures; target interval x retries + 1 s",
        });
        table.Detail("supervision.unhealthy", new { trials, interval_s = HealthIntervalSeconds, retries = HealthRetries, latency_ms = stats.Summary(), samples_ms = latencies.Select(l => Math.Round(l, 1)) });
    }

    /// <summary>
    /// <c>--recoveries</c> fresh services (the shipped policy: on-failure), each killed once, so every figure is a first
    /// restart: kill -> its port answers HTTP again. Interleaved with the engine's own figure on a baseline container of
    /// the identical spec: killed, then <c>POST /containers/{id}/start</c> -> the port answers.
    /// </summary>
    private static async Task RecoveryAsync(BenchContext context, ResultTable table, Services services, DockerBaseline docker)
    {
        var n = context.Options.Recoveries;
        var system = services.System;
        var template = new CreateService
        {
            CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "bench-template", Image = "nginx:alpine",
            MemoryLimit = context.Options.MemoryLimit, CpuLimit = context.Options.CpuLimit, RequestedBy = system.OwnerId, RequestedAt = DateTimeOffset.UtcNow,
        };
        var (approved, refusal) = system.Parts.Policy.Evaluate(template);
        if (approved is null)
            throw new InvalidOperationException($"The worker's policy refuses the benchmark request: {refusal}");

        BenchContext.Log($"recovery: {n} services killed once each, and {n} baseline containers killed and started by hand, interleaved (load {BenchContext.LoadAverage()})");
        var recoveries = new List<double>();
        var restartEvents = new List<double>();
        var engineStarts = new List<double>();
        var engineServing = new List<double>();
        var engineFromKill = new List<double>();
        for (var i = 0; i < n; i++)
        {
            context.Cancel.ThrowIfCancellationRequested();
            // The service.
            var (serviceId, created) = await services.CreateAsync("nginx:alpine", "");
            var port = created.Message.GetProperty("hostPort").GetInt32();
            await services.WaitServingAsync(serviceId, TimeSpan.FromSeconds(30));
            await Task.Delay(500, context.Cancel);
            var killed = Clock.Now;
            await docker.Client.Containers.KillContainerAsync(created.Message.GetProperty("containerId").GetString()!, new ContainerKillParameters(), context.Cancel);
            recoveries.Add(await ServingAgainAsync(port, killed, TimeSpan.FromSeconds(120), context.Cancel));
            var restarted = await services.Events.WaitAsync(serviceId, nameof(ServiceRestartedBySupervisor), killed, TimeSpan.FromSeconds(30), context.Cancel);
            restartEvents.Add(Clock.Ms(killed, restarted.ReceivedTicks));

            // The engine's own start of the identical container.
            var rawPort = context.NextRawPort();
            var spec = DockerBaseline.AsBaseline(Messaging.Worker.Containers.DockerCreateParameters.From(system.Parts.Specs.Build(approved, rawPort)), docker.NextName("restart"), rawPort);
            var raw = await docker.Client.Containers.CreateContainerAsync(spec, context.Cancel);
            await docker.Client.Containers.StartContainerAsync(raw.ID, new ContainerStartParameters(), context.Cancel);
            await ServingAgainAsync(rawPort, Clock.Now, TimeSpan.FromSeconds(30), context.Cancel, mustGoDown: false);
            // A supervisor with no overhead at all: it starts the container again the moment the engine's own wait
            // call says it is dead. Timed from the kill, like the system, and from the start call alone.
            var rawKilled = Clock.Now;
            await docker.Client.Containers.KillContainerAsync(raw.ID, new ContainerKillParameters(), context.Cancel);
            await docker.Client.Containers.WaitContainerAsync(raw.ID, context.Cancel);
            var start = Clock.Now;
            await docker.Client.Containers.StartContainerAsync(raw.ID, new ContainerStartParameters(), context.Cancel);
            engineStarts.Add(Clock.MsSince(start));
            engineServing.Add(await ServingAgainAsync(rawPort, start, TimeSpan.FromSeconds(30), context.Cancel, mustGoDown: false));
            engineFromKill.Add(Clock.MsSince(rawKilled));
        }
        var system50 = new Stats(recoveries);
        var engine50 = new Stats(engineServing);
        var engineKill50 = new Stats(engineFromKill);
        var starts = new Stats(engineStarts);
        var events = new Stats(restartEvents);
        BenchContext.Log($"recovery: kill -> serving {system50}; engine kill -> dead -> start -> serving {engineKill50}; " +
                         $"engine start -> serving {engine50} (start call alone {starts}); kill -> ServiceRestartedBySupervisor {events}");
        table.Add(new ResultRow
        {
            Id = "supervision.recovery.p50", Figure = $"kill -> serving again p50 ({n} first restarts)", Unit = "ms",
            Value = system50.P50, Baseline = engineKill50.P50, BaselineName = "engine: kill -> dead -> start -> serving",
            TargetOn = "value", Target = Math.Round(engineKill50.P50 + 200), Direction = Better.Lower,
            Note = $"max {system50.Max:F0} ms; target the engine's own recovery p50 + 200 ms, timed from the kill like the system " +
                   $"(a client that starts the container the moment the engine's wait call returns); the engine's start -> serving alone " +
                   $"p50 {engine50.P50:F0} ms (start call {starts.P50:F0} ms), so its death takes {engineKill50.P50 - engine50.P50:F0} ms; " +
                   $"kill -> ServiceRestartedBySupervisor p50 {events.P50:F0} ms",
        });
        table.Add(new ResultRow
        {
            Id = "supervision.recovery.overstart", Figure = "kill -> serving again p50, against the engine's start alone", Unit = "ms",
            Value = system50.P50, Baseline = engine50.P50, BaselineName = "engine start -> serving",
            Note = "the engine's clock starts after it has reported the container dead; the system's at the kill",
        });
        table.Detail("supervision.recovery", new
        {
            services = n, load = BenchContext.LoadAverage(), kill_to_serving_ms = system50.Summary(), kill_to_restart_event_ms = events.Summary(),
            engine_kill_to_serving_ms = engineKill50.Summary(), engine_start_call_ms = starts.Summary(), engine_start_to_serving_ms = engine50.Summary(),
            samples_ms = recoveries.Select(r => Math.Round(r, 1)), engine_samples_ms = engineFromKill.Select(r => Math.Round(r, 1)),
        });
    }

    /// <summary>
    /// <c>--fleet</c> services (the shipped entry: HTTP health check every 10 s, on-failure) created, then left alone for
    /// <c>--idle-seconds</c>: the worker's CPU over that window and its RSS; the engine's CPU beside it (the health checks
    /// are the engine's work: an exec per container per interval).
    /// </summary>
    private static async Task OverheadAsync(BenchContext context, ResultTable table, Services services, SystemUnderTest system)
    {
        var fleet = context.Options.Fleet;
        var worker = system.Worker!;
        BenchContext.Log($"overhead: creating {fleet} supervised services, {context.Options.InFlight} in flight (load {BenchContext.LoadAverage()})");
        var next = 0;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, context.Options.InFlight).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= fleet)
            {
                try
                {
                    await services.CreateAsync("nginx:alpine", "");
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        var running = fleet - failures;
        // Idle means settled: past the start period and a few health intervals (every container "healthy"), past the
        // first reconciler pass and supervisor sweep over the whole fleet and the JIT's tier-1 recompilation of what
        // they run, and past the burst's one memory trim. The first minute after a burst is not what idle costs.
        // The first minute (30-90 s after the last creation) is measured too, for the note.
        await Task.Delay(TimeSpan.FromSeconds(30), context.Cancel);
        var firstCpu = worker.CpuSeconds();
        var firstBegan = Clock.Now;
        await Task.Delay(TimeSpan.FromSeconds(60), context.Cancel);
        var firstMinute = (worker.CpuSeconds() - firstCpu) / (Clock.MsSince(firstBegan) / 1000);
        var firstRss = worker.Memory().RssMb;
        await Task.Delay(Settle - TimeSpan.FromSeconds(90), context.Cancel);
        var seconds = context.Options.IdleSeconds;
        BenchContext.Log($"overhead: {running} services idle for {seconds} s, after {Settle.TotalSeconds:F0} s to settle");
        var budget = CpuBudget.Start(("worker", worker.Pid), ("api", system.Api.Pid));
        var cpuBefore = worker.CpuSeconds();
        var began = Clock.Now;
        var rss = new List<double>();
        for (var elapsed = 0; elapsed < seconds; elapsed += 5)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.Cancel);
            rss.Add(worker.Memory().RssMb);
        }
        var window = Clock.MsSince(began) / 1000;
        var workerCores = (worker.CpuSeconds() - cpuBefore) / window;
        // Idle only if nothing happened: on a saturated machine the fleet's own checks time out, and the supervisor then
        // does real work (a restart per unhealthy verdict) that the figure includes. Said beside it.
        var (unhealthy, restarts) = (services.Events.Count(nameof(ServiceUnhealthy), began, Clock.Now),
            services.Events.Count(nameof(ServiceRestartedBySupervisor), began, Clock.Now));
        var shares = budget.Stop();
        var memory = worker.MemoryDetail();
        BenchContext.Log($"overhead: worker {workerCores * 100:F2}% of a core, RSS {rss.Max():F1} MB; {CpuBudget.Format(shares)}");
        table.Add(new ResultRow
        {
            Id = "supervision.overhead.cpu", Figure = $"worker CPU, {running} supervised services idle", Unit = "% core", Value = Math.Round(workerCores * 100, 2),
            TargetOn = "value", Target = 1, Direction = Better.Lower,
            Note = $"over {window:F0} s from {Settle.TotalSeconds:F0} s after the last creation; in the first minute (30-90 s after it) {firstMinute * 100:F2}%; " +
                   $"the engine (health check execs) {shares.GetValueOrDefault("dockerd + containerd + shims") * 100:F0}% of a core; " +
                   $"in the window {unhealthy} unhealthy verdicts and {restarts} supervisor restarts ({(unhealthy + restarts == 0 ? "idle" : "not idle: checks timed out")})",
        });
        table.Add(new ResultRow
        {
            Id = "supervision.overhead.rss", Figure = $"worker RSS, {running} supervised services idle", Unit = "MB", Value = rss.Max(),
            TargetOn = "value", Target = 150, Direction = Better.Lower,
            Note = $"highest of {rss.Count} samples ({firstRss:F0} MB at 90 s); anonymous {memory.AnonMb:F0}, file-backed {memory.FileMb:F0}, shmem {memory.ShmemMb:F0} MB",
        });
        table.Detail("supervision.overhead", new { services = running, failures, first_minute_cores = Math.Round(firstMinute, 4), first_rss_mb = firstRss, window_s = Math.Round(window, 1), unhealthy_in_window = unhealthy, restarts_in_window = restarts, worker_cores = Math.Round(workerCores, 4), rss_mb = rss, cpu_budget = shares });
    }

    /// <summary>
    /// Milliseconds from <paramref name="from"/> until the port answers HTTP 200; with <paramref name="mustGoDown"/> only
    /// after it was seen not answering once (a kill takes effect a moment after the call returns).
    /// </summary>
    private static async Task<double> ServingAgainAsync(int port, long from, TimeSpan timeout, CancellationToken cancel, bool mustGoDown = true)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromMilliseconds(500) };
        var wentDown = !mustGoDown;
        while (Clock.MsSince(from) < timeout.TotalMilliseconds)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/") { Headers = { ConnectionClose = true } };
                using var response = await http.SendAsync(request, cancel);
                if (response.StatusCode == HttpStatusCode.OK && wentDown)
                    return Clock.MsSince(from);
            }
            // Refused, reset, cut short, or no answer within the client's timeout: not serving (yet).
            catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !cancel.IsCancellationRequested))
            {
                wentDown = true;
            }
            await Task.Delay(10, cancel);
        }
        throw new TimeoutException($"Port {port} did not answer again within {timeout.TotalSeconds:F0} s.");
    }

    private static async Task DockerExecAsync(string containerId, params string[] command)
    {
        var (code, output) = await Rabbit.RunAsync("docker", ["exec", containerId, .. command]);
        if (code != 0)
            throw new InvalidOperationException($"docker exec {string.Join(' ', command)} failed ({code}): {output}");
    }

    /// <summary>Services of the run, created and driven through the REST API as a client would.</summary>
    private sealed class Services(BenchContext context, SystemUnderTest system, ServiceEventLog events)
    {
        private int _serial;

        public SystemUnderTest System => system;
        public ServiceEventLog Events => events;

        /// <summary>POSTs a service (<paramref name="extraFields"/> go into the JSON body) and waits for ServiceCreated.</summary>
        public async Task<(Guid ServiceId, HeardEvent Created)> CreateAsync(string image, string extraFields)
        {
            var name = $"sup-{context.RunId}-{Interlocked.Increment(ref _serial)}";
            var body = $$"""{"service_name":"{{name}}","image":"{{image}}","memory_limit":"{{context.Options.MemoryLimit}}","cpu_limit":{{context.Options.CpuLimit.ToString(CultureInfo.InvariantCulture)}}{{(extraFields.Trim().Length > 0 ? "," + extraFields.Trim() : "")}}}""";
            var sent = Clock.Now;
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await system.Http.PostAsync("/api/v1/services", content, context.Cancel);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"POST {body} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(context.Cancel)}");
            var serviceId = (await response.Content.ReadFromJsonAsync<JsonElement>(context.Cancel)).GetProperty("service_id").GetGuid();
            var outcome = await Task.WhenAny(
                events.WaitAsync(serviceId, nameof(ServiceCreated), sent, TimeSpan.FromMinutes(3), context.Cancel),
                events.WaitAsync(serviceId, nameof(ServiceCreationFailed), sent, TimeSpan.FromMinutes(3), context.Cancel));
            var heard = await outcome;
            if (heard.Type != nameof(ServiceCreated))
                throw new InvalidOperationException($"Creation of {name} ({image}) failed: {heard.Message}");
            return (serviceId, heard);
        }

        public async Task SendAsync(Guid serviceId, string action)
        {
            using var response = await system.Http.PostAsync($"/api/v1/services/{serviceId}/{action}", null, context.Cancel);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"{action} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(context.Cancel)}");
        }

        public Task WaitForStatusAsync(Guid serviceId, string status, TimeSpan timeout) =>
            WaitForAsync(serviceId, r => r.GetProperty("status").GetString() == status, $"status {status}", timeout);

        public Task WaitForHealthAsync(Guid serviceId, string health, TimeSpan timeout) =>
            WaitForAsync(serviceId, r => r.TryGetProperty("health", out var h) && h.GetString() == health, $"health {health}", timeout);

        /// <summary>Until the record says running and its port answers HTTP.</summary>
        public async Task WaitServingAsync(Guid serviceId, TimeSpan timeout)
        {
            await WaitForStatusAsync(serviceId, ServiceStatus.Running, timeout);
            var record = await system.Http.GetFromJsonAsync<JsonElement>($"/api/v1/services/{serviceId}", context.Cancel);
            await ServingAgainAsync(record.GetProperty("host_port").GetInt32(), Clock.Now, timeout, context.Cancel, mustGoDown: false);
        }

        private async Task WaitForAsync(Guid serviceId, Func<JsonElement, bool> condition, string what, TimeSpan timeout)
        {
            var began = Clock.Now;
            JsonElement record = default;
            while (Clock.MsSince(began) < timeout.TotalMilliseconds)
            {
                record = await system.Http.GetFromJsonAsync<JsonElement>($"/api/v1/services/{serviceId}", context.Cancel);
                if (condition(record))
                    return;
                await Task.Delay(100, context.Cancel);
            }
            throw new TimeoutException($"Service {serviceId} did not reach {what} within {timeout.TotalSeconds:F0} s: {record}");
        }
    }
}
