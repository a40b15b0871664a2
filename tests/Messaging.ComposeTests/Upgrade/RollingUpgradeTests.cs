using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Docker.DotNet.Models;
using Xunit.Abstractions;

namespace Messaging.ComposeTests.Upgrade;

/// <summary>
/// Issue 21 item 4, docs/FAULTS.md scenario 12: a rolling upgrade as the README's "Upgrading" says to make it, while 50
/// creations are in flight. A new build of the worker and the API (<c>MESSAGING_VERSION</c> changed, so new image ids),
/// then <c>up -d --no-deps worker</c>, then <c>up -d --no-deps api</c>, with clients that keep sending their creations
/// through it and retry as a real client would (same <c>Idempotency-Key</c>). Then the usual counts: every creation one
/// record in a final status (created/failed), none lost, none duplicated (per key, per name, per service), no orphan
/// container, no leaked port or name reservation, nothing in an error or skipped queue; and the replaced processes
/// stopped by themselves on SIGTERM (exit code 0), not killed by the engine after the grace period.
/// </summary>
/// <remarks>
/// Category <c>Upgrade</c>, not <c>Compose</c>: it takes minutes beside the bring-up, so the default run leaves it out.
/// Run it: <c>flock /work/it.lock bash infra/compose-test.sh --filter Category=Upgrade --logger "console;verbosity=detailed"</c>.
/// It shares the compose collection's stack; the other compose tests find the new containers afterwards
/// (<see cref="ComposeStack.WaitServiceHealthyAsync"/> refreshes them).
/// </remarks>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Upgrade"), Trait("Requires", "Docker")]
public sealed class RollingUpgradeTests(ComposeStack stack, ITestOutputHelper output)
{
    private const int N = 50;
    /// <summary>A new creation every 700 ms: the 50 span both replacements (about 35 s).</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(700);

    [Fact]
    public async Task Replacing_the_worker_then_the_API_with_a_new_build_while_50_creations_are_in_flight_loses_and_duplicates_nothing()
    {
        stack.RequireHealthy();
        var clock = Stopwatch.StartNew();
        var facts = new List<(string Name, string Value)>();
        var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        var version = $"upgrade-{run}";
        var before = await StackCensus.TakeAsync(stack);
        var old = new Dictionary<string, (string Container, string Image)>();
        foreach (var service in new[] { "worker", "api" })
        {
            var inspect = await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf(service));
            old[service] = (inspect.ID, inspect.Image);
        }

        // 1. The new release's images, built while the old one runs (as an operator would, README "Upgrading").
        var overrides = new Dictionary<string, string> { ["MESSAGING_VERSION"] = version };
        var build = await stack.ComposeAsync(["build", "worker", "api"], TimeSpan.FromMinutes(15), "upgrade-build.log", overrides);
        Assert.True(build.Succeeded, $"build failed (log {stack.LogDirectory}/upgrade-build.log): {build.Text[^Math.Min(3000, build.Text.Length)..]}");
        facts.Add(("new build", $"MESSAGING_VERSION={version}, {clock.Elapsed.TotalSeconds:F0} s"));
        var exits = new ContainerExits(stack);

        // 2. The 50 creations, paced, each retried through the replacements with its own key.
        var creations = Enumerable.Range(0, N).Select(i => new Creation(run, i)).ToArray();
        var submitDeadline = DateTime.UtcNow.AddMinutes(5);
        Func<HttpClient> api = () =>
        {
            var client = stack.Api();
            client.Timeout = TimeSpan.FromSeconds(30); // a create may publish 3 times, 5 s each
            return client;
        };
        var submitting = Task.WhenAll(creations.Select((c, i) => Task.Run(async () =>
        {
            await Task.Delay(Pace * i);
            await c.SubmitAsync(api, submitDeadline);
        })));

        // 3. The worker first, once 10 are accepted (creations are then in the worker's hands and more arrive).
        await WaitUntilAsync(() => creations.Count(c => c.ServiceId is not null) >= 10, TimeSpan.FromSeconds(90));
        var oldWorkerLog = FollowLogAsync(old["worker"].Container, "upgrade-old-worker.log");
        facts.Add(("accepted when the worker's replacement began", $"{creations.Count(c => c.ServiceId is not null)}/{N}"));
        var worker = await ReplaceAsync("worker", overrides);
        facts.Add(("up -d --no-deps worker", worker));

        // 4. Then the API, while creations still arrive.
        facts.Add(("accepted when the API's replacement began", $"{creations.Count(c => c.ServiceId is not null)}/{N}"));
        var apiReplaced = await ReplaceAsync("api", overrides);
        facts.Add(("up -d --no-deps api", apiReplaced));

        await submitting;
        Assert.True(await stack.WaitServiceHealthyAsync("worker", TimeSpan.FromMinutes(3)), "the new worker never became healthy");
        Assert.True(await stack.WaitServiceHealthyAsync("api", TimeSpan.FromMinutes(3)), "the new API never became healthy");
        facts.Add(("new containers healthy", $"{clock.Elapsed.TotalSeconds:F0} s after the start"));

        // 5. Every creation to running or failed (the worker retries and the reconciler settles; minutes at most).
        var finalDeadline = DateTime.UtcNow.AddMinutes(4);
        await Task.WhenAll(creations.Select(c => c.WaitFinalAsync(api, finalDeadline)));
        var after = await SettledCensusAsync();
        await oldWorkerLog.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });

        // 6. The usual counts.
        var ours = creations.Where(c => c.ServiceId is not null).Select(c => c.ServiceId!.Value).ToHashSet();
        var created = creations.Count(c => c.FinalStatus == "running");
        var failed = creations.Count(c => c.FinalStatus == "failed");
        var failedWithoutReason = creations.Count(c => c.FinalStatus == "failed" && !HasReason(c));
        var lost = N - created - failed;
        var keysWithTwoServices = creations.Count(c => c.Answers.Distinct().Count() > 1);
        var records = await RecordsByNameAsync(creations.Select(c => c.Name).ToHashSet());
        var namesWithTwoRecords = records.Count(r => r.Value.Count > 1);
        var duplicateContainers = after.Containers.GroupBy(c => c.ServiceId).Count(g => g.Count() > 1)
            + after.Containers.GroupBy(c => c.ServiceName).Count(g => g.Select(c => c.ServiceId).Distinct().Count() > 1);
        var running = creations.Where(c => c.FinalStatus == "running").ToDictionary(c => c.ServiceId!.Value);
        var wrongContainer = running.Values.Count(c =>
            after.Containers.SingleOrDefault(k => k.ServiceId == c.ServiceId) is not { Running: true } k
            || k.Id != c.Final!.Value.GetProperty("container_id").GetString()
            || k.HostPort != c.Final!.Value.GetProperty("host_port").GetInt32());
        var orphans = await OrphansAsync(after, running.Keys.ToHashSet(), ours);
        var leaked = LeakedReservations(after);
        var deadMessages = after.DeadMessages - before.DeadMessages;
        var commandsLeft = after.Queues.GetValueOrDefault("create-service");
        await exits.DisposeAsync();
        var newImages = new Dictionary<string, string>();
        foreach (var service in new[] { "worker", "api" })
            newImages[service] = (await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf(service))).Image;

        var rows = new List<(string Check, string Value, bool Ok)>
        {
            ("created / failed (with a reason) / lost", $"{created} / {failed} ({failed - failedWithoutReason}) / {lost}", lost == 0 && failedWithoutReason == 0),
            ("every creation succeeded (the upgrade is no reason to fail)", $"{created}/{N}", created == N),
            ("keys answered with two services", $"{keysWithTwoServices}", keysWithTwoServices == 0),
            ("names with more than one record", $"{namesWithTwoRecords}", namesWithTwoRecords == 0),
            ("duplicated containers (per service, per name)", $"{duplicateContainers}", duplicateContainers == 0),
            ("running records whose container is not the one running on the recorded port", $"{wrongContainer}", wrongContainer == 0),
            ("orphan containers (no running record)", $"{orphans}", orphans == 0),
            ("leaked reservations (ports, service-ports, names without their live container)", $"{leaked}", leaked == 0),
            ("new messages in error/skipped queues; commands left in create-service", $"{deadMessages}; {commandsLeft}", deadMessages == 0 && commandsLeft == 0),
            ("old worker stopped by itself on SIGTERM (exit 0, no SIGKILL)", exits.Describe(old["worker"].Container), exits.StoppedByItself(old["worker"].Container)),
            ("old API stopped by itself on SIGTERM (exit 0, no SIGKILL)", exits.Describe(old["api"].Container), exits.StoppedByItself(old["api"].Container)),
            ("worker and API run the new images", $"{newImages["worker"] != old["worker"].Image}, {newImages["api"] != old["api"].Image}",
                newImages["worker"] != old["worker"].Image && newImages["api"] != old["api"].Image),
        };
        facts.Add(("client attempts / connection errors / 503 / 409 in progress / outcome unknown",
            $"{creations.Sum(c => c.Attempts)} / {creations.Sum(c => c.ConnectionErrors)} / {creations.Sum(c => c.Unavailable)} / " +
            $"{creations.Sum(c => c.InProgress)} / {creations.Count(c => c.OutcomeUnknown)}"));
        facts.Add(("refused by the API", string.Join("; ", creations.Where(c => c.Refused is not null).Select(c => $"{c.Name}: {c.Refused}")) is { Length: > 0 } r ? r : "none"));
        facts.Add(("failures", string.Join(", ", creations.Where(c => c.FinalStatus == "failed")
            .GroupBy(c => c.Final!.Value.GetProperty("failure").GetProperty("code").GetString()).Select(g => $"{g.Key}: {g.Count()}")) is { Length: > 0 } f ? f : "none"));
        facts.Add(("took", $"{clock.Elapsed.TotalSeconds:F0} s"));

        // 7. Removed through the new API: every port and name comes back.
        var removal = await RemoveAllAsync(creations);
        var end = await StackCensus.TakeAsync(stack);
        var heldAfterRemoval = end.Containers.Count(c => ours.Contains(c.ServiceId))
            + end.Ports.Values.Count(id => ours.Contains(Guid.Parse(id))) + end.ServicePorts.Keys.Count(id => ours.Contains(Guid.Parse(id)))
            + end.Names.Keys.Count(n => n.StartsWith($"up-{run}-", StringComparison.Ordinal));
        rows.Add(("after DELETE of each: removed; containers, ports, names still held", $"{removal}/{ours.Count}; {heldAfterRemoval}",
            removal == ours.Count && heldAfterRemoval == 0));

        var table = Table(facts, rows);
        output.WriteLine(table);
        await File.WriteAllTextAsync(Path.Combine(stack.LogDirectory, "upgrade-table.md"), table);
        Assert.True(rows.All(row => row.Ok), "Rolling upgrade: checks failed:\n" + table);
    }

    private static bool HasReason(Creation c) =>
        c.Final!.Value.TryGetProperty("failure", out var failure) && failure.ValueKind == System.Text.Json.JsonValueKind.Object
        && failure.GetProperty("code").GetString() is { Length: > 0 };

    /// <summary><c>up -d --no-deps SERVICE</c> with the new image: recreates its container (stop with its grace period, then start).</summary>
    private async Task<string> ReplaceAsync(string service, IReadOnlyDictionary<string, string> overrides)
    {
        var watch = Stopwatch.StartNew();
        var up = await stack.ComposeAsync(["up", "-d", "--no-deps", service], TimeSpan.FromMinutes(5), "upgrade-up.log", overrides);
        Assert.True(up.Succeeded, $"up -d --no-deps {service} failed: {up.Text}");
        Assert.Contains("Recreating", up.Text); // a new container, not the old one left as it was
        return $"recreated in {watch.Elapsed.TotalSeconds:F1} s";
    }

    /// <summary>The census once the reconciler had time to settle (it runs every 10 s in compose): the first that holds, or the last.</summary>
    private async Task<StackCensus> SettledCensusAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (true)
        {
            var census = await StackCensus.TakeAsync(stack);
            if (LeakedReservations(census) == 0 || DateTime.UtcNow > deadline)
                return census;
            await Task.Delay(2000);
        }
    }

    /// <summary>Entries of ports, service-ports and names that no live container of that service backs (on that port, with that name).</summary>
    private static int LeakedReservations(StackCensus census)
    {
        var live = census.Containers.Where(c => c.Running).ToLookup(c => c.ServiceId.ToString());
        var leaked = census.Ports.Count(p => !live[p.Value].Any(c => c.HostPort?.ToString(CultureInfo.InvariantCulture) == p.Key));
        leaked += census.ServicePorts.Count(p => !live[p.Key].Any(c => c.HostPort?.ToString(CultureInfo.InvariantCulture) == p.Value));
        leaked += census.Names.Count(n => !census.Containers.Any(c => c.ServiceId.ToString() == n.Value && c.ServiceName == n.Key));
        return leaked;
    }

    /// <summary>Containers of the instance whose service has no running record: ours checked against their final records, others asked of the API.</summary>
    private async Task<int> OrphansAsync(StackCensus census, HashSet<Guid> runningOurs, HashSet<Guid> ours)
    {
        var orphans = 0;
        using var client = stack.Api();
        foreach (var container in census.Containers)
        {
            if (runningOurs.Contains(container.ServiceId))
                continue;
            if (ours.Contains(container.ServiceId))
            {
                orphans++; // ours, and its record is not running
                continue;
            }
            using var response = await client.GetAsync($"/api/v1/services/{container.ServiceId}");
            var status = response.StatusCode == HttpStatusCode.OK
                ? System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()
                : null;
            if (status is not ("running" or "stopped" or "crash_looping" or "removing"))
                orphans++;
        }
        return orphans;
    }

    /// <summary>Every record (any status but removed) per service name of <paramref name="names"/>, from the admin's listing.</summary>
    private async Task<Dictionary<string, List<string>>> RecordsByNameAsync(HashSet<string> names)
    {
        var byName = names.ToDictionary(n => n, _ => new List<string>());
        using var client = stack.Api();
        string? cursor = null;
        do
        {
            var page = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(
                "/api/v1/services?limit=200" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"))).RootElement;
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                if (byName.TryGetValue(item.GetProperty("service_name").GetString()!, out var list))
                    list.Add(item.GetProperty("service_id").GetString()!);
            }
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == System.Text.Json.JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        return byName;
    }

    /// <summary>
    /// Watches the project's containers live for <c>kill</c> (the signal) and <c>die</c> (the exit code) until disposed. Live, not
    /// replayed with <c>since</c>: the engine keeps only its last few hundred events, and 50 services' health checks
    /// push the replacement's out of that window within seconds.
    /// </summary>
    private sealed class ContainerExits : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _watching;

        public ContainerExits(ComposeStack stack)
        {
            _watching = stack.Docker.System.MonitorEventsAsync(new ContainerEventsParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["type"] = new Dictionary<string, bool> { ["container"] = true },
                    ["event"] = new Dictionary<string, bool> { ["die"] = true, ["kill"] = true },
                    ["label"] = new Dictionary<string, bool> { [$"com.docker.compose.project={stack.Project}"] = true },
                },
            }, new Collect(Record), _stop.Token);
        }

        public ConcurrentDictionary<string, int> ExitCodes { get; } = new();
        public ConcurrentDictionary<string, string> Signals { get; } = new();

        private void Record(Message m)
        {
            if (m.Actor?.Attributes is not { } attributes)
                return;
            if (m.Action == "die" && attributes.TryGetValue("exitCode", out var code))
                ExitCodes[m.Actor.ID] = int.Parse(code, CultureInfo.InvariantCulture);
            if (m.Action == "kill" && attributes.TryGetValue("signal", out var signal))
                Signals.AddOrUpdate(m.Actor.ID, signal, (_, before) => $"{before},{signal}");
        }

        /// <summary>"exit 0 (signals 15)": how the container ended and what it was sent.</summary>
        public string Describe(string container) =>
            (ExitCodes.TryGetValue(container, out var code) ? $"exit {code}" : "no die event")
            + (Signals.TryGetValue(container, out var signals) ? $" (signals {signals})" : "");

        /// <summary>Ended by itself after the signals it was sent, none of them SIGKILL.</summary>
        public bool StoppedByItself(string container) =>
            ExitCodes.TryGetValue(container, out var code) && code == 0
            && !(Signals.GetValueOrDefault(container) ?? "").Split(',').Contains("9");

        public async ValueTask DisposeAsync()
        {
            await Task.Delay(2000); // the last events
            await _stop.CancelAsync();
            try
            {
                await _watching;
            }
            catch (OperationCanceledException)
            {
            }
            _stop.Dispose();
        }
    }

    /// <summary>DELETE of every service that has a record; how many reached removed.</summary>
    private async Task<int> RemoveAllAsync(Creation[] creations)
    {
        using var client = stack.Api();
        var ids = creations.Where(c => c.ServiceId is not null).Select(c => c.ServiceId!.Value).Distinct().ToList();
        foreach (var id in ids)
            (await client.DeleteAsync($"/api/v1/services/{id}")).Dispose();
        var removed = 0;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        foreach (var id in ids)
        {
            while (true)
            {
                using var response = await client.GetAsync($"/api/v1/services/{id}");
                var status = response.StatusCode == HttpStatusCode.OK
                    ? System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()
                    : null;
                if (status == "removed")
                {
                    removed++;
                    break;
                }
                if (DateTime.UtcNow > deadline)
                    break;
                await Task.Delay(500);
            }
        }
        return removed;
    }

    /// <summary>Follows a container's log into a file until the container is gone (the old worker's shutdown, for a look afterwards).</summary>
    private Task FollowLogAsync(string container, string file) =>
        Commands.RunAsync(Commands.DockerCli, ["logs", "-f", "--timestamps", "--tail", "20", container], TimeSpan.FromMinutes(5),
            logFile: Path.Combine(stack.LogDirectory, file));

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within {timeout}");
            await Task.Delay(200);
        }
    }

    private static string Table(List<(string Name, string Value)> facts, List<(string Check, string Value, bool Ok)> rows)
    {
        var text = new StringBuilder($"### rolling-upgrade-n{N}: new build, up -d --no-deps worker, then api, while {N} creations are in flight\n\n");
        text.AppendLine("| fact | value |").AppendLine("|---|---|");
        foreach (var (name, value) in facts)
            text.AppendLine($"| {name} | {value} |");
        text.AppendLine().AppendLine("| check | value | ok |").AppendLine("|---|---|---|");
        foreach (var (check, value, ok) in rows)
            text.AppendLine($"| {check} | {value} | {(ok ? "ok" : "FAILED")} |");
        return text.ToString();
    }

    private sealed class Collect(Action<Message> each) : IProgress<Message>
    {
        public void Report(Message value) => each(value);
    }
}
