using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Benchmarks.Infrastructure;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// Issue 16, "Measured": a stack of 3 services, POST /api/v1/stacks -> StackCreated (every member running), p50 over
/// <see cref="BenchOptions.StackTrials"/>, against the same 3 services created one after another through the API
/// (POST, ServiceCreated, next POST), in one run on one API + worker pair, interleaved. Target: the stack is no slower
/// than the sum. The members have no <c>depends_on</c>, so the worker may start them side by side.
/// </summary>
public static class StackBenchmark
{
    private static readonly string[] Members = ["web", "api", "store"];

    public static async Task RunAsync(BenchContext context, ResultTable table)
    {
        var options = context.Options;
        await using var system = await SystemUnderTest.StartAsync(context, "k", withWorker: true);
        await using var events = await ServiceEventLog.StartAsync("ServiceCreated", "ServiceCreationFailed", "ServiceRemoved", "StackCreated", "StackCreationFailed", "StackRemoved");
        var docker = new DockerBaseline(system.Parts.Docker);
        using var _ = context.OnCleanup("containers and stack networks of part k", async () =>
        {
            await docker.RemoveAllAsync(BenchContext.Instance);
            await RemoveStackNetworksAsync(system);
        });
        await docker.EnsureNetworkAsync(BenchContext.Network);

        // One file for every trial (only the stack's name changes): the first member is the public entry, published
        // like a plain service; the other two are reachable on the stack's network only.
        var limits = $"    deploy: {{resources: {{limits: {{memory: {options.MemoryLimit}, cpus: \"{options.CpuLimit.ToString(CultureInfo.InvariantCulture)}\"}}}}}}\n";
        var file = "services:\n" + string.Concat(Members.Select((m, i) =>
            $"  {m}:\n    image: nginx:alpine\n{limits}" + (i == 0 ? "    ports: [\"80\"]\n" : "")));
        table.Detail("stack.file", file);

        var serial = 0;
        string Name(string kind) => $"bk-{kind}-{context.RunId}-{Interlocked.Increment(ref serial)}".ToLowerInvariant();

        async Task<double> ViaStack()
        {
            var started = Clock.Now;
            using var response = await system.Http.PostAsJsonAsync("/api/v1/stacks", new { name = Name("st"), compose_file = file }, context.Cancel);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"POST /api/v1/stacks answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(context.Cancel)}");
            var stackId = (await response.Content.ReadFromJsonAsync<JsonElement>(context.Cancel)).GetProperty("stack_id").GetGuid();
            var outcome = await events.WaitAnyAsync(stackId, ["StackCreated", "StackCreationFailed"], started, TimeSpan.FromMinutes(3), context.Cancel);
            var elapsed = Clock.Ms(started, outcome.ReceivedTicks);
            if (outcome.Type != "StackCreated")
                throw new InvalidOperationException($"Stack {stackId} failed: {outcome.Message}");
            await RemoveAsync(system, events, $"/api/v1/stacks/{stackId}", stackId, "StackRemoved", context.Cancel);
            return elapsed;
        }

        async Task<double> OneAfterAnother()
        {
            var started = Clock.Now;
            var made = new List<Guid>();
            foreach (var _ in Members)
            {
                var (serviceId, _) = await system.PostCreateAsync(Name("sv"), options.MemoryLimit, options.CpuLimit, context.Cancel);
                var outcome = await events.WaitAnyAsync(serviceId, ["ServiceCreated", "ServiceCreationFailed"], started, TimeSpan.FromMinutes(3), context.Cancel);
                if (outcome.Type != "ServiceCreated")
                    throw new InvalidOperationException($"Service {serviceId} failed: {outcome.Message}");
                made.Add(serviceId);
            }
            var elapsed = Clock.MsSince(started);
            foreach (var serviceId in made)
                await RemoveAsync(system, events, $"/api/v1/services/{serviceId}", serviceId, "ServiceRemoved", context.Cancel);
            return elapsed;
        }

        BenchContext.Log("stack: warm-up, one stack and one set of 3 services");
        await ViaStack();
        await OneAfterAnother();

        var n = options.StackTrials;
        BenchContext.Log($"stack: {n} stacks of {Members.Length} and {n} x {Members.Length} services one after another, interleaved (load {BenchContext.LoadAverage()})");
        var stacks = new List<double>();
        var sequences = new List<double>();
        for (var i = 0; i < n; i++)
        {
            context.Cancel.ThrowIfCancellationRequested();
            // Alternate who goes first, so that neither always follows the other's removals.
            if (i % 2 == 0)
            {
                stacks.Add(await ViaStack());
                sequences.Add(await OneAfterAnother());
            }
            else
            {
                sequences.Add(await OneAfterAnother());
                stacks.Add(await ViaStack());
            }
        }

        var stack = new Stats(stacks);
        var sequence = new Stats(sequences);
        table.Add(new ResultRow
        {
            Id = "stack.p50", Figure = $"stack of {Members.Length} p50 (POST -> StackCreated, all running)", Unit = "ms",
            Value = stack.P50, Baseline = sequence.P50, BaselineName = $"the {Members.Length} services one after another via the API",
            TargetOn = "ratio", Target = 1.0, Direction = Better.Lower,
            Note = $"stack p95 {stack.P95:F0} ms, one after another p95 {sequence.P95:F0} ms; no depends_on, one member published",
        });
        table.Detail("stack", new
        {
            trials = n,
            members = Members.Length,
            load = BenchContext.LoadAverage(),
            stack_ms = stack.Summary(),
            one_after_another_ms = sequence.Summary(),
            stack_samples_ms = stacks.Select(s => Math.Round(s, 1)),
            one_after_another_samples_ms = sequences.Select(s => Math.Round(s, 1)),
        });
        BenchContext.Log($"stack: stack {stack}; one after another {sequence}");
    }

    /// <summary>Removes through the API (untimed) and waits for the event, so the next trial starts on a clean engine.</summary>
    private static async Task RemoveAsync(SystemUnderTest system, ServiceEventLog events, string path, Guid id, string removed, CancellationToken cancel)
    {
        var since = Clock.Now;
        using var response = await system.Http.DeleteAsync(path, cancel);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"DELETE {path} answered {(int)response.StatusCode}");
        await events.WaitAsync(id, removed, since, TimeSpan.FromMinutes(2), cancel);
    }

    /// <summary>Networks of stacks an interrupted run left (the stack removal deletes them otherwise).</summary>
    private static async Task RemoveStackNetworksAsync(SystemUnderTest system)
    {
        var networks = await system.Parts.Docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"messaging.instance={BenchContext.Instance}"] = true, ["messaging.stack-id"] = true },
            },
        });
        foreach (var network in networks)
        {
            try
            {
                await system.Parts.Docker.Networks.DeleteNetworkAsync(network.ID);
            }
            catch (Docker.DotNet.DockerApiException e)
            {
                Console.Error.WriteLine($"[bench] stack network {network.Name} not removed: {e.Message}");
            }
        }
    }
}
