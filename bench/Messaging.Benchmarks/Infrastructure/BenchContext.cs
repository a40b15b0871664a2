using System.Globalization;
using System.Security.Cryptography;
using Messaging.Testing;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// Settings of one run and everything it must undo. The run keeps to its own corner of each shared
/// service: Redis keys under <see cref="RedisPrefixRoot"/>, containers labelled
/// <c>messaging.instance=bench</c> (the worker's) or <c>bench-raw</c> (the baselines'), the RabbitMQ
/// virtual host <see cref="VHost"/>, host ports <see cref="WorkerPortMin"/>-<see cref="RawPortMax"/>.
/// </summary>
public sealed class BenchContext
{
    public const string VHost = "messaging-bench";
    public const string Instance = "bench";
    public const string RawInstance = "bench-raw";
    public const string Network = "messaging-bench";
    public const string RedisPrefixRoot = "bench:";
    public const int WorkerPortMin = 12000;
    public const int WorkerPortMax = 13999;
    public const int RawPortMin = 14000;
    public const int RawPortMax = 14999;

    private readonly List<(string Name, Func<Task> Undo)> _cleanups = [];
    private readonly object _gate = new();
    private int _rawPort = RawPortMin;

    public BenchContext(string repoRoot, string configuration, BenchOptions options)
    {
        RepoRoot = repoRoot;
        Configuration = configuration;
        Options = options;
        RunId = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture) + Convert.ToHexString(RandomNumberGenerator.GetBytes(2)).ToLowerInvariant();
        ResultsDir = Path.Combine(repoRoot, "bench", "results");
        LogsDir = Path.Combine(ResultsDir, "logs");
        Directory.CreateDirectory(LogsDir);
    }

    public string RepoRoot { get; }
    public string Configuration { get; }
    public BenchOptions Options { get; }
    public string RunId { get; }
    public string ResultsDir { get; }
    public string LogsDir { get; }
    public CancellationTokenSource Stop { get; } = new();
    public CancellationToken Cancel => Stop.Token;

    /// <summary>
    /// The bench's corner of the shared services for one part of the run: what its API and worker processes
    /// (and the in-process <see cref="WorkerParts"/>) are told, as the test harnesses tell theirs.
    /// </summary>
    public SystemSettings Settings(string redisPrefix) => new()
    {
        Instance = Instance,
        KeyPrefix = redisPrefix,
        PortMin = WorkerPortMin,
        PortMax = WorkerPortMax,
        VHost = VHost,
        Network = Network,
        HealthFile = Path.Combine(Path.GetTempPath(), $"messaging-bench-{RunId}-worker.health"),
    };

    /// <summary>A Redis prefix of this run for one part of it (cleaned at the end).</summary>
    public string Prefix(string part) => $"{RedisPrefixRoot}{RunId}:{part}:";

    public string BinaryOf(string project) =>
        Path.Combine(RepoRoot, "src", project, "bin", Configuration, "net10.0", project + ".dll");

    public string ContentRootOf(string project) => Path.GetDirectoryName(BinaryOf(project))!;

    /// <summary>The next host port for a baseline container (cycles through the raw range).</summary>
    public int NextRawPort()
    {
        var port = Interlocked.Increment(ref _rawPort);
        return RawPortMin + (port - RawPortMin) % (RawPortMax - RawPortMin + 1);
    }

    /// <summary>Registers an undo step; run in reverse order at the end, also on Ctrl+C.</summary>
    public IDisposable OnCleanup(string name, Func<Task> undo)
    {
        var entry = (name, undo);
        lock (_gate)
            _cleanups.Add(entry);
        return new Registration(() => { lock (_gate) _cleanups.Remove(entry); });
    }

    public async Task RunCleanupsAsync()
    {
        while (true)
        {
            (string Name, Func<Task> Undo) next;
            lock (_gate)
            {
                if (_cleanups.Count == 0)
                    return;
                next = _cleanups[^1];
                _cleanups.RemoveAt(_cleanups.Count - 1);
            }
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await next.Undo().WaitAsync(timeout.Token);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"[bench] cleanup '{next.Name}' failed: {e.Message}");
            }
        }
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static void Log(string message) =>
        Console.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");

    private sealed class Registration(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

/// <summary>Command-line options (see <c>--help</c>).</summary>
public sealed record BenchOptions
{
    public HashSet<string> Scenarios { get; init; } = [];
    public int Creations { get; init; } = 30;
    public int ThroughputCreations { get; init; } = 100;
    public int ThroughputRounds { get; init; } = 2;
    public int InFlight { get; init; } = 8;
    public int AcceptSeconds { get; init; } = 20;
    public int AcceptConnections { get; init; } = 64;
    public int AcceptWarmUpSeconds { get; init; } = 10;
    public int Reservers { get; init; } = 8;
    public int ReservationCount { get; init; } = 4000;
    public int Fleet { get; init; } = 200;
    /// <summary>detection: kills of one service, each answered by ServiceExited.</summary>
    public int Trials { get; init; } = 20;
    /// <summary>recovery: services killed once each (first restarts), and as many engine starts beside them.</summary>
    public int Recoveries { get; init; } = 10;
    /// <summary>overhead: seconds the supervised fleet is watched idle.</summary>
    public int IdleSeconds { get; init; } = 60;
    /// <summary>stack: stacks of 3 created, and as many sets of 3 services created one after another.</summary>
    public int StackTrials { get; init; } = 10;
    /// <summary>build: cold + cached builds of the sample context, each way.</summary>
    public int BuildTrials { get; init; } = 5;
    public string? Output { get; init; }
    public string MemoryLimit { get; init; } = "32m";
    public double CpuLimit { get; init; } = 0.1;
    /// <summary>Extra environment of the api / worker processes (experiments only: not the system as shipped).</summary>
    public Dictionary<string, string> ApiEnvironment { get; init; } = [];
    public Dictionary<string, string> WorkerEnvironment { get; init; } = [];
}
