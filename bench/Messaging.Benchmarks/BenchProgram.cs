using System.Globalization;
using System.Runtime.InteropServices;
using Docker.DotNet;
using Messaging.Testing;
using Messaging.Benchmarks.Infrastructure;
using Messaging.Benchmarks.Scenarios;

namespace Messaging.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Messaging.Benchmarks -- [all|latency|throughput|accept|reservation|memory|scale|detection|recovery|overhead|micro|edge|stack|pools|build]...</c>
/// (normally through <c>bash infra/bench.sh</c>, which starts the services first). Prints the table and
/// writes it as JSON to <c>bench/results/latest.json</c>. See docs/BENCHMARKS.md.
/// </summary>
public static class BenchProgram
{
    private static readonly string[] Known = ["latency", "throughput", "accept", "reservation", "memory", "scale", "detection", "recovery", "overhead", "micro", "edge", "stack", "pools", "build"];

    public static async Task<int> Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        if (options.Scenarios.Count == 0)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        var repoRoot = FindRepoRoot();
        var configuration = typeof(BenchProgram).Assembly.Location.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var context = new BenchContext(repoRoot, configuration, options);
        var table = new ResultTable();
        var interrupted = 0;
        void OnSignal(PosixSignalContext signal)
        {
            signal.Cancel = true; // we exit ourselves, after cleaning up
            if (Interlocked.Increment(ref interrupted) == 1)
            {
                Console.Error.WriteLine($"[bench] {signal.Signal}: stopping, then removing what the run made (again to abandon the cleanup)");
                context.Stop.Cancel();
            }
            else
            {
                Console.Error.WriteLine("[bench] abandoning the cleanup: remove containers labelled messaging.instance=bench / bench-raw by hand");
                Environment.Exit(130);
            }
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        var started = DateTimeOffset.UtcNow;
        var loadBefore = BenchContext.LoadAverage();
        BenchContext.Log($"run {context.RunId}: {string.Join(' ', options.Scenarios)}; {configuration} binaries; load average {loadBefore}");
        object? machine = null;
        var status = 0;
        var needsServices = options.Scenarios.Overlaps(["latency", "throughput", "accept", "reservation", "memory", "scale", "detection", "recovery", "overhead", "edge", "stack", "pools", "build"]);
        using var docker = TestEnvironment.DockerClient();
        var baseline = new DockerBaseline(docker);
        try
        {
            machine = await MachineAsync(docker, needsServices);
            if (needsServices)
                await PrepareAsync(baseline);
            var s = options.Scenarios;
            if (s.Contains("latency") || s.Contains("throughput"))
                await CreationBenchmarks.RunAsync(context, table, s.Contains("latency"), s.Contains("throughput"));
            if (s.Contains("accept"))
                await AcceptBenchmark.RunAsync(context, table);
            if (s.Contains("reservation"))
                await ReservationBenchmark.RunAsync(context, table);
            if (s.Contains("memory") || s.Contains("scale"))
                await FleetBenchmarks.RunAsync(context, table, s.Contains("memory"), s.Contains("scale"));
            if (s.Contains("detection") || s.Contains("recovery") || s.Contains("overhead"))
                await SupervisionBenchmarks.RunAsync(context, table, s.Contains("detection"), s.Contains("recovery"), s.Contains("overhead"));
            if (s.Contains("micro"))
                MicroBenchmarks.Run(context, table);
            if (s.Contains("edge"))
                await EdgeBenchmark.RunAsync(context, table);
            if (s.Contains("stack"))
                await StackBenchmark.RunAsync(context, table);
            if (s.Contains("pools"))
                await PoolBenchmark.RunAsync(context, table); // warm pools (issue 20)
            if (s.Contains("build"))
                await BuildBenchmark.RunAsync(context, table);
        }
        catch (OperationCanceledException) when (context.Cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("[bench] interrupted");
            status = 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[bench] failed: {e}");
            status = 1;
        }
        finally
        {
            BenchContext.Log("cleaning up");
            await context.RunCleanupsAsync();
            if (needsServices)
                await FinalCleanupAsync(context, baseline);
        }

        var loadAfter = BenchContext.LoadAverage();
        var rendered = table.Render();
        Console.WriteLine();
        Console.WriteLine($"Results of run {context.RunId} ({started:yyyy-MM-dd HH:mm} UTC; load average before {loadBefore}, after {loadAfter}):");
        if (options.ApiEnvironment.Count + options.WorkerEnvironment.Count > 0)
            Console.WriteLine("EXPERIMENT, not the system as shipped: " + string.Join(' ',
                options.ApiEnvironment.Select(e => $"api:{e.Key}={e.Value}").Concat(options.WorkerEnvironment.Select(e => $"worker:{e.Key}={e.Value}"))));
        Console.WriteLine(rendered);
        var output = options.Output ?? Path.Combine(context.ResultsDir, "latest.json");
        await table.WriteJsonAsync(output, new
        {
            id = context.RunId,
            command = "dotnet run -c Release --project bench/Messaging.Benchmarks -- " + string.Join(' ', args),
            scenarios = options.Scenarios,
            started,
            finished = DateTimeOffset.UtcNow,
            load_average_before = loadBefore,
            load_average_after = loadAfter,
            status,
            options,
            machine,
        });
        await File.WriteAllTextAsync(Path.ChangeExtension(output, ".md"), rendered);
        Console.WriteLine($"Written: {Path.GetRelativePath(repoRoot, output)} (and {Path.GetRelativePath(repoRoot, Path.ChangeExtension(output, ".md"))})");
        return status;
    }

    /// <summary>The bench's vhost, no leftovers of an interrupted run (containers, keys, queued commands).</summary>
    private static async Task PrepareAsync(DockerBaseline docker)
    {
        await Rabbit.EnsureVHostAsync();
        await docker.RemoveAllAsync(BenchContext.Instance);
        await docker.RemoveAllAsync(BenchContext.RawInstance);
        var stale = await RedisTools.DeletePrefixAsync(BenchContext.RedisPrefixRoot);
        if (stale > 0)
            BenchContext.Log($"removed {stale} Redis keys left under {BenchContext.RedisPrefixRoot}* by an earlier run");
        var queued = await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
        if (queued > 0)
            BenchContext.Log($"purged {queued} commands left in {BenchContext.VHost}/{Rabbit.CreateServiceQueue}");
    }

    private static async Task FinalCleanupAsync(BenchContext context, DockerBaseline docker)
    {
        try
        {
            await docker.RemoveAllAsync(BenchContext.Instance, parallel: 8);
            await docker.RemoveAllAsync(BenchContext.RawInstance, parallel: 8);
            await docker.RemoveNetworkAsync(BenchContext.Network);
            await RedisTools.DeletePrefixAsync($"{BenchContext.RedisPrefixRoot}{context.RunId}:");
            await Rabbit.PurgeAsync(Rabbit.CreateServiceQueue);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[bench] final cleanup incomplete: {e.Message}");
        }
    }

    private static async Task<object> MachineAsync(IDockerClient docker, bool services)
    {
        string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
        var memTotal = Read("/proc/meminfo").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) ?? "";
        var cpu = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        string dockerVersion = "n/a", rabbit = "n/a", redis = "n/a";
        if (services)
        {
            try
            {
                var version = await docker.System.GetVersionAsync();
                dockerVersion = $"{version.Version} (API {version.APIVersion})";
            }
            catch (Exception e) { dockerVersion = "unreachable: " + e.Message; }
            try { rabbit = await Rabbit.ServerVersionAsync(); } catch (Exception e) { rabbit = "unreachable: " + e.Message; }
            try { redis = await RedisTools.ServerVersionAsync(); } catch (Exception e) { redis = "unreachable: " + e.Message; }
        }
        var machine = new
        {
            nproc = Environment.ProcessorCount,
            cpu,
            memory = memTotal.Replace("MemTotal:", "", StringComparison.Ordinal).Trim(),
            kernel = Read("/proc/sys/kernel/osrelease").Trim(),
            dotnet = Environment.Version.ToString(),
            docker = dockerVersion,
            rabbitmq = rabbit,
            redis,
        };
        BenchContext.Log($"machine: {machine}");
        return machine;
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            var directory = new DirectoryInfo(start);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
                directory = directory.Parent;
            if (directory is not null)
                return directory.FullName;
        }
        throw new InvalidOperationException("Messaging.sln not found above the current directory or the binaries.");
    }

    private const string Usage = """
        usage: dotnet run -c Release --project bench/Messaging.Benchmarks -- [all|latency|throughput|accept|reservation|memory|scale|detection|recovery|overhead|micro|edge|stack|pools|build]... [options]
          (normally: bash infra/bench.sh [same arguments], which starts dockerd, RabbitMQ and Redis first)
        options:
          --creations N        latency: creations through the system and through the Engine API each (default 30)
          --throughput N       throughput: creations per contender and round (default 100)
          --rounds N           throughput: rounds, in alternating order, of N creations per contender (default 2)
          --in-flight N        creations in flight for throughput and the fleet (default 8)
          --accept-seconds N   accept: measured seconds per contender (default 20)
          --accept-warmup N    accept: minimum warm-up of the API; then until its JIT settles, at most 60 s (default 10)
          --connections N      accept: concurrent connections / publishers (default 64)
          --reservers N        reservation: concurrent reservers (default 8)
          --reservations N     reservation: reservations in the rate run (default 4000)
          --fleet N            memory/scale/overhead: running services (default 200)
          --trials N           detection: kills of one service, each -> ServiceExited (default 20)
          --recoveries N       recovery: services killed once each, and engine starts beside them (default 10)
          --idle-seconds N     overhead: how long the supervised fleet is watched idle (default 60)
          --stack-trials N     stack: stacks of 3, and as many sets of 3 services one after another (default 10)
          --build-trials N     build: cold + cached builds of the sample context via the API and via docker build (default 5)
          --memory SIZE        memory limit of every benchmark container (default 32m)
          --cpus X             CPU limit of every benchmark container (default 0.1)
          --env api:NAME=VALUE extra environment of the api (or worker:) process; experiments only, the run
                               is then not the system as shipped (recorded in the JSON)
          --out PATH           JSON output (default bench/results/latest.json; the table goes next to it as .md)
        """;

    private static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var scenarios = new HashSet<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            int Int() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{arg} needs a positive integer.");
            switch (arg)
            {
                case "all": scenarios.UnionWith(Known); break;
                case var s when Known.Contains(s): scenarios.Add(s); break;
                case "--creations": options = options with { Creations = Int() }; break;
                case "--throughput": options = options with { ThroughputCreations = Int() }; break;
                case "--rounds": options = options with { ThroughputRounds = Int() }; break;
                case "--in-flight": options = options with { InFlight = Int() }; break;
                case "--accept-seconds": options = options with { AcceptSeconds = Int() }; break;
                case "--accept-warmup": options = options with { AcceptWarmUpSeconds = Int() }; break;
                case "--connections": options = options with { AcceptConnections = Int() }; break;
                case "--reservers": options = options with { Reservers = Int() }; break;
                case "--reservations": options = options with { ReservationCount = Int() }; break;
                case "--fleet": options = options with { Fleet = Int() }; break;
                case "--trials": options = options with { Trials = Int() }; break;
                case "--recoveries": options = options with { Recoveries = Int() }; break;
                case "--idle-seconds": options = options with { IdleSeconds = Int() }; break;
                case "--stack-trials": options = options with { StackTrials = Int() }; break;
                case "--build-trials": options = options with { BuildTrials = Int() }; break;
                case "--memory": options = options with { MemoryLimit = Value() }; break;
                case "--cpus": options = options with { CpuLimit = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--env":
                    var setting = Value();
                    var match = System.Text.RegularExpressions.Regex.Match(setting, "^(api|worker):([A-Za-z_][A-Za-z0-9_]*)=(.*)$");
                    if (!match.Success)
                        throw new ArgumentException("--env takes api:NAME=VALUE or worker:NAME=VALUE.");
                    (match.Groups[1].Value == "api" ? options.ApiEnvironment : options.WorkerEnvironment)[match.Groups[2].Value] = match.Groups[3].Value;
                    break;
                case "--out": options = options with { Output = Path.GetFullPath(Value()) }; break;
                case "-h" or "--help": return options;
                default: throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }
        return options with { Scenarios = scenarios };
    }
}
