using Messaging.Testing;

namespace Messaging.FaultTests.Harness;

/// <summary>
/// One Messaging.Worker process (<c>dotnet Messaging.Worker.dll</c> in the folder the ProjectReference copied
/// it to, so it reads its own appsettings.json), configured through environment variables only. Its
/// console log goes to a file; a few lines are counted to know what it is doing.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private int _created;
    private int _adopted;
    private int _failed;
    private int _drifts;

    private WorkerProcess(string name, string healthFile, Func<WorkerProcess, ChildProcess> start)
    {
        Name = name;
        HealthFile = healthFile;
        _process = start(this);
    }

    public string Name { get; }
    public string HealthFile { get; }
    public int Pid => _process.Pid;
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.ExitCode;
    public int CreatedLogged => Volatile.Read(ref _created);
    public int AdoptedLogged => Volatile.Read(ref _adopted);
    public int FailedLogged => Volatile.Read(ref _failed);
    public int DriftsLogged => Volatile.Read(ref _drifts);

    public static WorkerProcess Start(string name, WorkerSettings settings, string logDirectory)
    {
        var healthFile = Path.Combine(logDirectory, $"{name}.health");
        File.Delete(healthFile);
        var environment = new SystemSettings
        {
            Instance = Scenario.Instance,
            KeyPrefix = settings.KeyPrefix,
            PortMin = Scenario.PortMin,
            PortMax = Scenario.PortMax,
            VHost = Rabbit.VHost,
            Network = Scenario.Network,
            HealthFile = healthFile,
            Redis = settings.RedisConfiguration, // the scenario's own redis-server
            DockerEndpoint = settings.DockerEndpoint, // the engine, or a proxy in front of it
            StalledBusExitAfter = null, // a real process: the shipped behaviour (exit 75 when its bus stalls)
        }.ToEnvironment();
        environment["DOTNET_ENVIRONMENT"] = "Production";
        environment["Reconciler__Interval"] = settings.ReconcilerInterval.ToString("c");
        // Plain single lines with timestamps: the harness counts some of them, people read the rest.
        environment["Logging__Console__FormatterName"] = "simple";
        environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (key, value) in settings.Extra)
            environment[key] = value;
        var directory = Paths.WorkerDirectory;
        return new WorkerProcess(name, healthFile, self => ChildProcess.Start(name, "dotnet",
            [Path.Combine(directory, "Messaging.Worker.dll")], directory, environment,
            Path.Combine(logDirectory, $"{name}.log"), self.OnLine));
    }

    private void OnLine(string line)
    {
        if (line.Contains(" runs in ", StringComparison.Ordinal))
            Interlocked.Increment(ref _created);
        else if (line.Contains("Adopting container", StringComparison.Ordinal))
            Interlocked.Increment(ref _adopted);
        else if (line.Contains("Creation of ", StringComparison.Ordinal) && line.Contains(" failed: ", StringComparison.Ordinal))
            Interlocked.Increment(ref _failed);
        else if (line.Contains("Drift ", StringComparison.Ordinal))
            Interlocked.Increment(ref _drifts);
    }

    /// <summary>Broker, Redis and engine checks all passed (the worker writes the file 2 s after start, then every 15 s).</summary>
    public bool IsHealthy()
    {
        try
        {
            return File.Exists(HealthFile) && File.ReadAllText(HealthFile).Trim() == "Healthy";
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsHealthy())
        {
            if (HasExited)
                throw new InvalidOperationException($"Worker {Name} exited during start-up; see its log.");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Worker {Name} did not report Healthy within {timeout}.");
            await Task.Delay(100);
        }
    }

    public void Note(string text) => _process.Note(text);
    public Task Kill9Async() => _process.KillAsync();

    /// <summary>SIGTERM, then SIGKILL if the process has not exited after <paramref name="grace"/>.</summary>
    public Task TerminateAsync(TimeSpan grace) => _process.TerminateAsync(grace);
    /// <summary>SIGSTOP, and wait (briefly) until the kernel shows the process stopped.</summary>
    public void Pause()
    {
        _process.Signal(Native.SigStop);
        var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(200);
        while (Native.State(Pid) is not ('T' or null) && DateTime.UtcNow < deadline)
            Thread.SpinWait(100);
        _process.Note("SIGSTOP");
    }

    public void Resume() { _process.Note("SIGCONT"); _process.Signal(Native.SigCont); }
    public bool IsPaused => Native.State(Pid) == 'T';

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>What differs between the workers of a scenario.</summary>
internal sealed record WorkerSettings(string RedisConfiguration, string KeyPrefix, string DockerEndpoint, TimeSpan ReconcilerInterval)
{
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}
