using Docker.DotNet.Models;
using Messaging.Benchmarks.Infrastructure;
using Messaging.Contracts;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>One creation through the whole system: POST -> 202 -> ... -> ServiceCreated received.</summary>
public sealed record SystemCreation(double TotalMs, double AcceptMs, double WorkerMs, double DeliveryMs);

/// <summary>
/// (1) creation latency and (2) creation throughput, each against the raw Engine API running the identical
/// spec (and, for throughput, <c>docker run -d</c>), in one run on one API + worker pair.
/// </summary>
public static class CreationBenchmarks
{
    public static async Task RunAsync(BenchContext context, ResultTable table, bool latency, bool throughput)
    {
        var options = context.Options;
        await using var system = await SystemUnderTest.StartAsync(context, "a", withWorker: true);
        await using var events = await EventWatcher.StartAsync();
        var docker = new DockerBaseline(system.Parts.Docker);
        using var _ = context.OnCleanup("containers of part a", async () =>
        {
            await docker.RemoveAllAsync(BenchContext.Instance);
            await docker.RemoveAllAsync(BenchContext.RawInstance);
        });

        // The worker's own spec for the same request (same policy, same builder, same settings).
        var template = new CreateService
        {
            CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "bench-template", Image = "nginx:alpine",
            MemoryLimit = options.MemoryLimit, CpuLimit = options.CpuLimit, RequestedBy = system.OwnerId, RequestedAt = DateTimeOffset.UtcNow,
        };
        var (approved, refusal) = system.Parts.Policy.Evaluate(template);
        if (approved is null)
            throw new InvalidOperationException($"The worker's policy refuses the benchmark request: {refusal}");
        // Built with its real port: a spec built with port 0 publishes none (a stack's inner member).
        CreateContainerParameters Spec(string name)
        {
            var port = context.NextRawPort();
            return DockerBaseline.AsBaseline(Messaging.Worker.Containers.DockerCreateParameters.From(system.Parts.Specs.Build(approved, port)), name, port);
        }
        table.Detail("creation.spec", new { memory = options.MemoryLimit, cpus = options.CpuLimit, image = approved.Image, cli = string.Join(' ', DockerBaseline.RunArguments(Spec("bench-cli-example"))) });

        var serial = 0;
        async Task<SystemCreation> ViaSystem(string kind)
        {
            var name = $"bench-{kind}-{context.RunId}-{Interlocked.Increment(ref serial)}";
            var started = Clock.Now;
            var wallStart = DateTimeOffset.UtcNow;
            var (serviceId, acceptMs) = await system.PostCreateAsync(name, options.MemoryLimit, options.CpuLimit, context.Cancel);
            var outcome = await events.WaitAsync(serviceId, TimeSpan.FromMinutes(3), context.Cancel);
            if (!outcome.Created)
                throw new InvalidOperationException($"Creation of {name} failed: {outcome.Reason}: {outcome.Message}");
            var total = Clock.Ms(started, outcome.ReceivedTicks);
            var stamped = outcome.At is { } at ? (at - wallStart).TotalMilliseconds : double.NaN;
            return new SystemCreation(total, acceptMs, stamped - acceptMs, total - stamped);
        }
        Task<double> ViaEngine() => docker.CreateAndStartAsync(Spec(docker.NextName("raw")), context.Cancel);
        Task<double> ViaCli() => DockerBaseline.RunWithCliAsync(Spec(docker.NextName("cli")), context.Cancel);

        await docker.EnsureNetworkAsync(BenchContext.Network);
        BenchContext.Log("warm-up: 2 creations through the system, 2 through the Engine API, 1 through the CLI");
        for (var i = 0; i < 2; i++)
        {
            await ViaSystem("warm");
            await ViaEngine();
        }
        await ViaCli();

        if (latency)
            await LatencyAsync(context, table, ViaSystem, ViaEngine);
        if (throughput)
        {
            await Clean(docker);
            await ThroughputAsync(context, table, system, docker, ViaSystem, ViaEngine, ViaCli);
        }
        await Clean(docker);
    }

    private static async Task Clean(DockerBaseline docker)
    {
        await docker.RemoveAllAsync(BenchContext.Instance);
        await docker.RemoveAllAsync(BenchContext.RawInstance);
    }

    private static async Task LatencyAsync(BenchContext context, ResultTable table, Func<string, Task<SystemCreation>> viaSystem, Func<Task<double>> viaEngine)
    {
        var n = context.Options.Creations;
        BenchContext.Log($"latency: {n} creations through the system and {n} through the Engine API, interleaved, one at a time (load {BenchContext.LoadAverage()})");
        var system = new List<SystemCreation>();
        var engine = new List<double>();
        for (var i = 0; i < n; i++)
        {
            context.Cancel.ThrowIfCancellationRequested();
            // Alternate who goes first, so that neither always follows the other's container.
            if (i % 2 == 0)
            {
                system.Add(await viaSystem("lat"));
                engine.Add(await viaEngine());
            }
            else
            {
                engine.Add(await viaEngine());
                system.Add(await viaSystem("lat"));
            }
        }
        var total = new Stats(system.Select(s => s.TotalMs));
        var raw = new Stats(engine);
        table.Add(new ResultRow
        {
            Id = "latency.p50", Figure = "creation latency p50 (POST -> ServiceCreated)", Unit = "ms",
            Value = total.P50, Baseline = raw.P50, BaselineName = "Engine API create+start",
            TargetOn = "ratio", Target = 1.10, Direction = Better.Lower,
        });
        table.Add(new ResultRow
        {
            Id = "latency.p95", Figure = "creation latency p95", Unit = "ms",
            Value = total.P95, Baseline = raw.P95, BaselineName = "Engine API create+start",
        });
        var accept = new Stats(system.Select(s => s.AcceptMs));
        var worker = new Stats(system.Select(s => s.WorkerMs));
        var delivery = new Stats(system.Select(s => s.DeliveryMs));
        table.Add(new ResultRow
        {
            Id = "latency.overhead.p50", Figure = "  of which: POST -> 202 p50", Unit = "ms", Value = accept.P50,
            Note = $"202 -> worker's ServiceCreated stamp p50 {worker.P50:F1} ms; stamp -> received p50 {delivery.P50:F1} ms",
        });
        table.Detail("latency", new
        {
            creations = n,
            load = BenchContext.LoadAverage(),
            system_total_ms = total.Summary(),
            engine_create_start_ms = raw.Summary(),
            system_post_to_202_ms = accept.Summary(),
            system_202_to_created_stamp_ms = worker.Summary(),
            system_stamp_to_received_ms = delivery.Summary(),
            system_samples_ms = system.Select(s => Math.Round(s.TotalMs, 1)),
            engine_samples_ms = engine.Select(s => Math.Round(s, 1)),
        });
        BenchContext.Log($"latency: system {total}; engine {raw}; POST->202 {accept}; 202->stamp {worker}; stamp->received {delivery}");
    }

    private static async Task ThroughputAsync(BenchContext context, ResultTable table, SystemUnderTest sut, DockerBaseline docker,
        Func<string, Task<SystemCreation>> viaSystem, Func<Task<double>> viaEngine, Func<Task<double>> viaCli)
    {
        var n = context.Options.ThroughputCreations;
        var inFlight = context.Options.InFlight;
        var rounds = context.Options.ThroughputRounds;
        var budgets = new Dictionary<string, Dictionary<string, double>>();
        var contenders = new (string Name, Func<Task<double>> One)[]
        {
            ("system", async () => (await viaSystem("tput")).TotalMs),
            ("engine", viaEngine),
            ("cli", viaCli),
        };
        var seconds = contenders.ToDictionary(c => c.Name, _ => 0.0);
        var each = contenders.ToDictionary(c => c.Name, _ => new System.Collections.Concurrent.ConcurrentBag<double>());
        var perRound = contenders.ToDictionary(c => c.Name, _ => new List<double>());

        async Task Run(int round, string name, Func<Task<double>> one)
        {
            var budget = CpuBudget.Start(("api", sut.Api.Pid), ("worker", sut.Worker!.Pid));
            BenchContext.Log($"throughput: round {round}: {n} creations through {name}, {inFlight} in flight (load {BenchContext.LoadAverage()})");
            var next = 0;
            var started = Clock.Now;
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= n)
                {
                    context.Cancel.ThrowIfCancellationRequested();
                    each[name].Add(await one());
                }
            }));
            var elapsed = Clock.MsSince(started) / 1000;
            seconds[name] += elapsed;
            perRound[name].Add(Math.Round(n / elapsed, 3));
            budgets[$"{name} round {round}"] = budget.Stop();
            BenchContext.Log($"throughput: round {round}: {name}: {n / elapsed:F2}/s over {elapsed:F1} s; CPU (cores): {CpuBudget.Format(budgets[$"{name} round {round}"])}");
            await Clean(docker); // untimed: every contender starts from the same engine state
        }

        // Back to back, in alternating order (system, engine, CLI; then CLI, engine, system; ...), so that
        // a drift of the machine's load does not favour whoever always goes first.
        for (var round = 1; round <= rounds; round++)
        {
            var order = round % 2 == 1 ? contenders : contenders.Reverse().ToArray();
            foreach (var (name, one) in order)
                await Run(round, name, one);
        }

        double Rate(string name) => n * rounds / seconds[name];
        var system = Rate("system");
        var engine = Rate("engine");
        var cli = Rate("cli");
        table.Add(new ResultRow
        {
            Id = "throughput.engine", Figure = $"creation throughput, {inFlight} in flight", Unit = "/s",
            Value = system, Baseline = engine, BaselineName = "Engine API",
            TargetOn = "ratio", Target = 0.90, Direction = Better.Higher,
            Note = $"{n} creations x {rounds} rounds per contender; per round: system {string.Join(", ", perRound["system"])}, Engine API {string.Join(", ", perRound["engine"])}, CLI {string.Join(", ", perRound["cli"])} /s",
        });
        table.Add(new ResultRow
        {
            Id = "throughput.cli", Figure = "creation throughput vs docker run -d", Unit = "/s",
            Value = system, Baseline = cli, BaselineName = "docker CLI",
        });
        table.Detail("throughput", new
        {
            creations_per_round = n, rounds, in_flight = inFlight, load = BenchContext.LoadAverage(),
            system_per_s = Math.Round(system, 3), engine_per_s = Math.Round(engine, 3), cli_per_s = Math.Round(cli, 3),
            per_round_per_s = perRound,
            each_ms = each.ToDictionary(e => e.Key, e => new Stats(e.Value).Summary()),
            cpu_cores = budgets,
        });
    }
}
