using System.Net;
using System.Text.Json;
using Messaging.Benchmarks.Infrastructure;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// (5) Memory: resident set of the API and the worker processes, idle and while managing N running services;
/// (6) scale: with those N services, <c>GET /api/v1/services</c> (first page of 50, and a full walk) and one
/// reconcile pass (the worker's <c>Reconciler</c>, on the same Redis prefix and instance label).
/// </summary>
public static class FleetBenchmarks
{
    public static async Task RunAsync(BenchContext context, ResultTable table, bool memory, bool scale)
    {
        var fleet = context.Options.Fleet;
        await using var system = await SystemUnderTest.StartAsync(context, "c", withWorker: true);
        await using var events = await EventWatcher.StartAsync();
        var docker = new Infrastructure.DockerBaseline(system.Parts.Docker);
        using var _ = context.OnCleanup("containers of part c", async () => await docker.RemoveAllAsync(BenchContext.Instance));
        await docker.RemoveAllAsync(BenchContext.Instance); // nothing of an earlier part may be adopted by this worker
        await docker.EnsureNetworkAsync(BenchContext.Network);
        var api = system.Api;
        var worker = system.Worker!;
        using var apiCounters = RuntimeCounters.TryAttach(api.Pid);
        using var workerCounters = RuntimeCounters.TryAttach(worker.Pid);
        object Heaps(string when) => new
        {
            when,
            api = new { memory = api.MemoryDetail(), gc_heap_mb = apiCounters?.Latest("gc-heap-size"), gc_committed_mb = apiCounters?.Latest("gc-committed") },
            worker = new { memory = worker.MemoryDetail(), gc_heap_mb = workerCounters?.Latest("gc-heap-size"), gc_committed_mb = workerCounters?.Latest("gc-committed") },
        };
        var heaps = new List<object>();

        BenchContext.Log("memory: 10 s idle after start");
        await Task.Delay(TimeSpan.FromSeconds(10), context.Cancel);
        var apiIdle = api.Memory();
        var workerIdle = worker.Memory();
        var apiIdleDetail = api.MemoryDetail();
        var workerIdleDetail = worker.MemoryDetail();
        double? apiIdleHeap = apiCounters?.Latest("gc-heap-size");
        double? workerIdleHeap = workerCounters?.Latest("gc-heap-size");
        heaps.Add(Heaps("idle"));
        BenchContext.Log($"memory: idle: api {apiIdle.RssMb:F1} MB (GC heap {apiCounters?.Latest("gc-heap-size"):F1} MB), worker {workerIdle.RssMb:F1} MB (GC heap {workerCounters?.Latest("gc-heap-size"):F1} MB)");

        BenchContext.Log($"fleet: creating {fleet} services through the API, {context.Options.InFlight} in flight (load {BenchContext.LoadAverage()})");
        var next = 0;
        var failures = 0;
        var started = Clock.Now;
        await Task.WhenAll(Enumerable.Range(0, context.Options.InFlight).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= fleet)
            {
                var (serviceId, _) = await system.PostCreateAsync($"fleet-{context.RunId}-{i}", context.Options.MemoryLimit, context.Options.CpuLimit, context.Cancel);
                var outcome = await events.WaitAsync(serviceId, TimeSpan.FromMinutes(3), context.Cancel);
                if (!outcome.Created)
                    Interlocked.Increment(ref failures);
            }
        }));
        var createSeconds = Clock.MsSince(started) / 1000;
        var running = (await docker.ListAsync(BenchContext.Instance)).Count(c => c.State == "running");
        BenchContext.Log($"fleet: {running} running ({failures} failed) after {createSeconds:F1} s ({fleet / createSeconds:F2}/s)");
        table.Detail("fleet", new { services = fleet, running, failures, seconds = Math.Round(createSeconds, 1), per_s = Math.Round(fleet / createSeconds, 2) });

        await Task.Delay(TimeSpan.FromSeconds(5), context.Cancel);
        var samples = new List<((double RssMb, double PeakMb) Api, (double RssMb, double PeakMb) Worker)> { (api.Memory(), worker.Memory()) };
        heaps.Add(Heaps($"{running} running"));

        if (scale)
        {
            await ListAsync(context, table, system, fleet);
            samples.Add((api.Memory(), worker.Memory()));
            heaps.Add(Heaps("after the list requests"));
            await ReconcileAsync(context, table, system, running);
            samples.Add((api.Memory(), worker.Memory()));
            heaps.Add(Heaps("after the reconcile passes"));
        }
        else
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.Cancel);
            samples.Add((api.Memory(), worker.Memory()));
        }

        if (memory)
        {
            var apiFleet = samples.Max(s => s.Api.RssMb);
            var workerFleet = samples.Max(s => s.Worker.RssMb);
            var apiPeak = samples.Max(s => s.Api.PeakMb);
            var workerPeak = samples.Max(s => s.Worker.PeakMb);
            BenchContext.Log($"memory: with {running} running: api {apiFleet:F1} MB (peak {apiPeak:F1}), worker {workerFleet:F1} MB (peak {workerPeak:F1})");
            ResultRow Row(string id, string figure, double value, string? note = null) => new()
            {
                Id = id, Figure = figure, Unit = "MB", Value = value, TargetOn = "value", Target = 150, Direction = Better.Lower, Note = note,
            };
            static string Parts(MemoryUse m, double? gcHeap) =>
                $"anonymous {m.AnonMb:F0} + file-backed {m.FileMb:F0} (mapped assemblies, shared) + shmem {m.ShmemMb:F0} (JIT code) MB; GC heap {gcHeap:F0} MB";
            var apiNow = api.MemoryDetail();
            var workerNow = worker.MemoryDetail();
            table.Add(Row("memory.api.idle", "api RSS, idle", apiIdle.RssMb, Parts(apiIdleDetail, apiIdleHeap)));
            table.Add(Row("memory.api.fleet", $"api RSS, {running} running services", apiFleet,
                $"peak (VmHWM) {apiPeak:F1} MB; now {Parts(apiNow, apiCounters?.Latest("gc-heap-size"))}"));
            table.Add(Row("memory.worker.idle", "worker RSS, idle", workerIdle.RssMb, Parts(workerIdleDetail, workerIdleHeap)));
            table.Add(Row("memory.worker.fleet", $"worker RSS, {running} running services", workerFleet,
                $"peak (VmHWM) {workerPeak:F1} MB; now {Parts(workerNow, workerCounters?.Latest("gc-heap-size"))}"));
            table.Detail("memory", new
            {
                api_idle_mb = Math.Round(apiIdle.RssMb, 1), worker_idle_mb = Math.Round(workerIdle.RssMb, 1),
                samples_with_fleet = samples.Select(s => new { api_mb = Math.Round(s.Api.RssMb, 1), worker_mb = Math.Round(s.Worker.RssMb, 1) }),
                api_peak_mb = Math.Round(apiPeak, 1), worker_peak_mb = Math.Round(workerPeak, 1),
                heaps,
            });
        }

        BenchContext.Log("fleet: removing the services' containers");
        await docker.RemoveAllAsync(BenchContext.Instance, parallel: 8);
    }

    private static async Task ListAsync(BenchContext context, ResultTable table, SystemUnderTest system, int fleet)
    {
        var http = system.Http;
        async Task<(double Ms, int Items, string? Next)> Get(string url)
        {
            var begin = Clock.Now;
            using var response = await http.GetAsync(url, context.Cancel);
            var text = await response.Content.ReadAsStringAsync(context.Cancel);
            var elapsed = Clock.MsSince(begin);
            if (response.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {text}");
            using var document = JsonDocument.Parse(text);
            var next = document.RootElement.TryGetProperty("next_cursor", out var cursor) && cursor.ValueKind == JsonValueKind.String ? cursor.GetString() : null;
            return (elapsed, document.RootElement.GetProperty("items").GetArrayLength(), next);
        }

        BenchContext.Log($"scale: GET /api/v1/services?limit=50, 300 times one after another (load {BenchContext.LoadAverage()})");
        for (var i = 0; i < 30; i++)
            await Get("/api/v1/services?limit=50");
        var page = new List<double>();
        for (var i = 0; i < 300; i++)
            page.Add((await Get("/api/v1/services?limit=50")).Ms);

        BenchContext.Log("scale: full walks (limit=50, following next_cursor), 50 times");
        var walkRequests = new List<double>();
        var walks = new List<double>();
        var walkedItems = 0;
        for (var w = 0; w < 50; w++)
        {
            var begin = Clock.Now;
            var items = 0;
            string? cursor = null;
            do
            {
                var result = await Get("/api/v1/services?limit=50" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                walkRequests.Add(result.Ms);
                items += result.Items;
                cursor = result.Next;
            } while (cursor is not null);
            walks.Add(Clock.MsSince(begin));
            walkedItems = items;
        }
        var big = new List<double>();
        for (var i = 0; i < 100; i++)
            big.Add((await Get("/api/v1/services?limit=200")).Ms);

        var pageStats = new Stats(page);
        var walkRequestStats = new Stats(walkRequests);
        var walkStats = new Stats(walks);
        var bigStats = new Stats(big);
        BenchContext.Log($"scale: page {pageStats}; walk requests {walkRequestStats}; walks {walkStats} ({walkedItems} items); limit=200 {bigStats}");
        table.Add(new ResultRow
        {
            Id = "scale.list.page", Figure = $"GET services limit=50 p99, {fleet} services", Unit = "ms",
            Value = pageStats.P99, TargetOn = "value", Target = 50, Direction = Better.Lower, Note = $"p50 {pageStats.P50:F1} ms",
        });
        table.Add(new ResultRow
        {
            Id = "scale.list.walk", Figure = $"GET services full walk, per request p99", Unit = "ms",
            Value = walkRequestStats.P99, TargetOn = "value", Target = 50, Direction = Better.Lower,
            Note = $"{walkedItems} items in {Math.Ceiling(walkedItems / 50.0)} pages; whole walk p50 {walkStats.P50:F1} ms, p99 {walkStats.P99:F1} ms",
        });
        table.Add(new ResultRow
        {
            Id = "scale.list.walk.total", Figure = "GET services full walk, whole walk p99", Unit = "ms", Value = walkStats.P99,
        });
        table.Detail("scale.list", new
        {
            services = fleet, load = BenchContext.LoadAverage(), walked_items = walkedItems,
            page_limit50_ms = pageStats.Summary(), walk_request_ms = walkRequestStats.Summary(), walk_total_ms = walkStats.Summary(), page_limit200_ms = bigStats.Summary(),
        });
    }

    private static async Task ReconcileAsync(BenchContext context, ResultTable table, SystemUnderTest system, int running)
    {
        BenchContext.Log($"scale: 5 reconcile passes over {running} containers (load {BenchContext.LoadAverage()})");
        var reconciler = system.Parts.Reconciler;
        var passes = new List<double>();
        var lists = new List<double>();
        var reports = new List<object>();
        for (var i = 0; i < 5; i++)
        {
            var begin = Clock.Now;
            var report = await reconciler.ReconcileAsync(context.Cancel).WaitAsync(TimeSpan.FromMinutes(2), context.Cancel);
            passes.Add(Clock.MsSince(begin));
            reports.Add(new { containers = report.Containers, corrections = report.Corrections });
            // The engine's share of a pass: list + one inspect per container.
            begin = Clock.Now;
            await system.Parts.Runtime.ListManagedAsync(context.Cancel);
            lists.Add(Clock.MsSince(begin));
        }
        var passStats = new Stats(passes);
        var listStats = new Stats(lists);
        BenchContext.Log($"scale: reconcile passes {passStats}; engine list+inspect alone {listStats}");
        table.Add(new ResultRow
        {
            Id = "scale.reconcile", Figure = $"reconcile pass, {running} containers", Unit = "ms",
            Value = passes[0], TargetOn = "value", Target = 2000, Direction = Better.Lower,
            Note = $"first pass; median of 5 {passStats.P50:F0} ms, max {passStats.Max:F0} ms; engine list+inspect alone p50 {listStats.P50:F0} ms",
        });
        table.Detail("scale.reconcile", new
        {
            containers = running, load = BenchContext.LoadAverage(), passes_ms = passes.Select(p => Math.Round(p, 1)),
            engine_list_inspect_ms = lists.Select(p => Math.Round(p, 1)), reports,
        });
    }
}
