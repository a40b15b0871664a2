using System.Net.Http.Json;
using Docker.DotNet.Models;
using Messaging.Benchmarks.Infrastructure;
using Messaging.Contracts;
using Messaging.State.Pools;
using Messaging.Worker.Pools;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// <c>pools</c> (issue 20): POST -> ServiceCreated for warm claims, cold creations and the raw Engine API create+start of
/// the same spec, in one run on one API + worker pair with a pool of nginx:alpine at the bench's profile; warm claims
/// with 8 in flight; and cold creations (8 in flight) with the pool full and idle against the same right after the
/// pool was drained, while it refills (the refill's effect on cold creations). A cold creation is one the pool cannot
/// serve: the same request with one environment variable.
/// </summary>
public static class PoolBenchmark
{
    private const int PoolSize = 24;

    public static async Task RunAsync(BenchContext context, ResultTable table)
    {
        var options = context.Options;
        var settings = new Dictionary<string, string>
        {
            ["Pools:Enabled"] = "true",
            ["Pools:MaxMembers"] = (PoolSize + 8).ToString(),
            ["Pools:SweepInterval"] = "00:00:01",
            ["Pools:Entries:0:Image"] = "nginx:alpine",
            ["Pools:Entries:0:Memory"] = options.MemoryLimit,
            ["Pools:Entries:0:Cpus"] = options.CpuLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pools:Entries:0:Size"] = PoolSize.ToString(),
        };
        await using var system = await SystemUnderTest.StartAsync(context, "p", withWorker: true, settings);
        await using var events = await EventWatcher.StartAsync();
        var docker = new DockerBaseline(system.Parts.Docker);
        using var _ = context.OnCleanup("containers and claim volumes of part p", async () =>
        {
            await docker.RemoveAllAsync(BenchContext.Instance);
            await docker.RemoveAllAsync(BenchContext.RawInstance);
            await Messaging.Testing.SystemCleanup.RemoveVolumesAsync(system.Parts.Docker, BenchContext.Instance);
        });
        var pool = system.Parts.Get<PoolDefinitions>().All[0];
        var state = system.Parts.Get<PoolState>();

        var (approved, refusal) = system.Parts.Policy.Evaluate(new CreateService
        {
            CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "bench-template", Image = "nginx:alpine",
            MemoryLimit = options.MemoryLimit, CpuLimit = options.CpuLimit, RequestedBy = system.OwnerId, RequestedAt = DateTimeOffset.UtcNow,
        });
        if (approved is null)
            throw new InvalidOperationException($"The worker's policy refuses the benchmark request: {refusal}");
        CreateContainerParameters Spec(string name)
        {
            var port = context.NextRawPort();
            return DockerBaseline.AsBaseline(Messaging.Worker.Containers.DockerCreateParameters.From(system.Parts.Specs.Build(approved, port)), name, port);
        }

        var serial = 0;
        // One creation through the system: total POST -> ServiceCreated received, and whether it was warm.
        async Task<(double Ms, bool Warm, Guid Id)> Create(bool cold)
        {
            var name = $"bench-pool-{context.RunId}-{Interlocked.Increment(ref serial)}";
            var started = Clock.Now;
            var (serviceId, _) = await system.PostCreateAsync(name, options.MemoryLimit, options.CpuLimit, context.Cancel, env: cold ? "cold" : null);
            var outcome = await events.WaitAsync(serviceId, TimeSpan.FromMinutes(3), context.Cancel);
            if (!outcome.Created)
                throw new InvalidOperationException($"Creation of {name} failed: {outcome.Reason}: {outcome.Message}");
            return (Clock.Ms(started, outcome.ReceivedTicks), outcome.Warm, serviceId);
        }
        var rawNames = new List<string>();
        Task<double> ViaEngine()
        {
            var name = docker.NextName("raw");
            rawNames.Add(name);
            return docker.CreateAndStartAsync(Spec(name), context.Cancel);
        }
        // Every sample's service (and baseline container) goes before the next sample, untimed: a run that kept them
        // would fill this 2-core machine with ~200 health-checked containers whose checks (an exec each) then
        // saturate it, and every later sample would measure that load instead of a creation.
        async Task RemoveSamples(IEnumerable<Guid> serviceIds)
        {
            var ids = serviceIds.ToList();
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = context.Cancel },
                async (id, cancel) => (await system.Http.DeleteAsync($"/api/v1/services/{id}", cancel)).Dispose());
            foreach (var name in rawNames)
                await docker.RemoveAsync(name);
            rawNames.Clear();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            foreach (var id in ids)
            {
                while (DateTime.UtcNow < deadline)
                {
                    using var response = await system.Http.GetAsync($"/api/v1/services/{id}", context.Cancel);
                    if (response.StatusCode == System.Net.HttpStatusCode.NotFound ||
                        (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(context.Cancel)).GetProperty("status").GetString() == Messaging.Contracts.ServiceStatus.Removed)
                        break;
                    await Task.Delay(100, context.Cancel);
                }
            }
        }
        async Task PoolFull()
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while ((await state.MembersAsync()).Count(m => m.Pool == pool.Name && m.State == PoolMemberStates.Idle) < PoolSize)
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException("The pool did not fill in 3 minutes.");
                await Task.Delay(100, context.Cancel);
            }
            await Task.Delay(300, context.Cancel); // the keeper's last start settles
        }

        await docker.EnsureNetworkAsync(BenchContext.Network);
        BenchContext.Log($"pools: filling a pool of {PoolSize} ({pool.Name})");
        var fillStarted = Clock.Now;
        await PoolFull();
        var fillSeconds = Clock.MsSince(fillStarted) / 1000;
        BenchContext.Log("pools: warm-up: 2 warm, 2 cold, 2 through the Engine API");
        for (var i = 0; i < 2; i++)
        {
            await Create(cold: false);
            await Create(cold: true);
            await ViaEngine();
        }

        // (1) One at a time, interleaved, each from a full and quiet pool (no refill running during a sample).
        var n = options.Creations;
        BenchContext.Log($"pools: latency: {n} warm, {n} cold, {n} Engine API, interleaved (load {BenchContext.LoadAverage()})");
        var warm = new List<double>();
        var cold = new List<double>();
        var engine = new List<double>();
        var coldServedWarm = 0;
        for (var i = 0; i < n; i++)
        {
            await PoolFull();
            var w = await Create(cold: false);
            if (!w.Warm)
                throw new InvalidOperationException("A qualifying creation from a full pool was not warm.");
            warm.Add(w.Ms);
            await PoolFull();
            var c = await Create(cold: true);
            coldServedWarm += c.Warm ? 1 : 0;
            cold.Add(c.Ms);
            engine.Add(await ViaEngine());
            await RemoveSamples([w.Id, c.Id]);
        }
        var warmStats = new Stats(warm);
        var coldStats = new Stats(cold);
        var engineStats = new Stats(engine);
        table.Add(new ResultRow
        {
            Id = "pools.warm.p50", Figure = "warm claim p50 (POST -> ServiceCreated)", Unit = "ms", Value = warmStats.P50,
            Baseline = engineStats.P50, BaselineName = "Engine API create+start", TargetOn = "value", Target = 50, Direction = Better.Lower,
            Note = $"cold p50 {coldStats.P50:F1} ms ({coldStats.P50 / warmStats.P50:F1}x the warm p50)",
        });
        table.Add(new ResultRow
        {
            Id = "pools.warm.p95", Figure = "warm claim p95", Unit = "ms", Value = warmStats.P95,
            Baseline = engineStats.P95, BaselineName = "Engine API create+start", TargetOn = "value", Target = 100, Direction = Better.Lower,
            Note = $"cold p95 {coldStats.P95:F1} ms",
        });
        table.Add(new ResultRow
        {
            Id = "pools.cold.p50", Figure = "cold creation p50 (same request + env; pool full, idle)", Unit = "ms", Value = coldStats.P50,
            Baseline = engineStats.P50, BaselineName = "Engine API create+start",
        });

        // (2) Warm claims with 8 in flight, a full pool drained.
        await PoolFull();
        var inFlight = options.InFlight;
        BenchContext.Log($"pools: throughput: {PoolSize} warm claims, {inFlight} in flight");
        var (warmRate, warmThroughput) = await Burst(PoolSize, inFlight, () => Create(cold: false), context);
        var servedWarm = warmThroughput.Count(r => r.Warm);
        await RemoveSamples(warmThroughput.Select(r => r.Id));
        table.Add(new ResultRow
        {
            Id = "pools.warm.throughput", Figure = $"warm claims, {inFlight} in flight ({PoolSize} from a full pool)", Unit = "/s", Value = warmRate,
            TargetOn = "value", Target = 50, Direction = Better.Higher,
            Note = $"{servedWarm} of {PoolSize} warm; p50 {new Stats(warmThroughput.Select(r => r.Ms)).P50:F1} ms",
        });

        // (3) Cold creations, 8 in flight: with the pool full and idle, then while it refills from empty.
        var coldCount = Math.Max(16, options.ThroughputCreations / 2);
        await PoolFull();
        BenchContext.Log($"pools: cold throughput with the pool full and idle: {coldCount}, {inFlight} in flight");
        var (quietRate, quiet) = await Burst(coldCount, inFlight, () => Create(cold: true), context);
        await RemoveSamples(quiet.Select(r => r.Id));
        await PoolFull();
        BenchContext.Log($"pools: draining the pool ({PoolSize} claims), then {coldCount} cold creations while it refills");
        var (_, drained) = await Burst(PoolSize, inFlight, () => Create(cold: false), context);
        var (busyRate, busy) = await Burst(coldCount, inFlight, () => Create(cold: true), context);
        await RemoveSamples(drained.Concat(busy).Select(r => r.Id));
        var quietStats = new Stats(quiet.Select(r => r.Ms));
        var busyStats = new Stats(busy.Select(r => r.Ms));
        table.Add(new ResultRow
        {
            Id = "pools.cold.during_refill", Figure = $"cold creations while the pool refills, {inFlight} in flight", Unit = "/s", Value = busyRate,
            Baseline = quietRate, BaselineName = "pool full and idle",
            Note = $"p50 {busyStats.P50:F0} ms against {quietStats.P50:F0} ms; p95 {busyStats.P95:F0} against {quietStats.P95:F0} ms",
        });
        await PoolFull();
        table.Detail("pools", new
        {
            pool = pool.Name, size = PoolSize, fill_seconds = Math.Round(fillSeconds, 1), creations = n, load = BenchContext.LoadAverage(),
            warm_ms = warmStats.Summary(), cold_ms = coldStats.Summary(), engine_create_start_ms = engineStats.Summary(),
            cold_requests_served_warm = coldServedWarm,
            warm_throughput_per_s = Math.Round(warmRate, 2), warm_throughput_served_warm = servedWarm,
            cold_throughput_quiet_per_s = Math.Round(quietRate, 2), cold_throughput_during_refill_per_s = Math.Round(busyRate, 2),
            cold_quiet_ms = quietStats.Summary(), cold_during_refill_ms = busyStats.Summary(),
            warm_samples_ms = warm.Select(v => Math.Round(v, 1)), cold_samples_ms = cold.Select(v => Math.Round(v, 1)),
            engine_samples_ms = engine.Select(v => Math.Round(v, 1)),
        });
        BenchContext.Log($"pools: warm {warmStats}; cold {coldStats}; engine {engineStats}; warm burst {warmRate:F1}/s; cold {quietRate:F2}/s quiet, {busyRate:F2}/s during refill");
        // The cleanup registered above runs only when the run is cut short: a finished run removes its own, claim volumes too.
        await docker.RemoveAllAsync(BenchContext.Instance);
        await docker.RemoveAllAsync(BenchContext.RawInstance);
        await Messaging.Testing.SystemCleanup.RemoveVolumesAsync(system.Parts.Docker, BenchContext.Instance);
    }

    /// <summary>Runs <paramref name="count"/> creations with <paramref name="inFlight"/> at a time; the rate and each result.</summary>
    private static async Task<(double Rate, List<(double Ms, bool Warm, Guid Id)> Results)> Burst(
        int count, int inFlight, Func<Task<(double Ms, bool Warm, Guid Id)>> one, BenchContext context)
    {
        var results = new System.Collections.Concurrent.ConcurrentBag<(double Ms, bool Warm, Guid Id)>();
        var next = 0;
        var started = Clock.Now;
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                context.Cancel.ThrowIfCancellationRequested();
                results.Add(await one());
            }
        }));
        return (count / (Clock.MsSince(started) / 1000), results.ToList());
    }
}
