using System.Diagnostics;
using System.Globalization;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// The API or the worker as a process of its own (<c>dotnet src/X/bin/Release/net10.0/X.dll</c>), configured
/// through the environment, its output in <c>bench/results/logs/</c>. Stopped by its PID only.
/// </summary>
public sealed record MemoryUse(double RssMb, double PeakMb, double AnonMb, double FileMb, double ShmemMb, int Threads);

public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly IDisposable _cleanup;

    private ServiceProcess(string name, Process process, string logFile, BenchContext context)
    {
        Name = name;
        _process = process;
        LogFile = logFile;
        _cleanup = context.OnCleanup($"stop {name} (pid {process.Id})", () => StopAsync().AsTask());
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public string LogFile { get; }
    public bool HasExited => _process.HasExited;

    public static ServiceProcess Start(BenchContext context, string project, string name, IReadOnlyDictionary<string, string> environment)
    {
        var dll = context.BinaryOf(project);
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: build the solution with -c {context.Configuration} first.");
        var log = Path.Combine(context.LogsDir, $"{context.RunId}-{name}.log");
        // exec: the shell becomes dotnet, so the PID we hold is the service's own (its RSS is the service's).
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "exec dotnet \"$0\" >>\"$1\" 2>&1", dll, log },
            WorkingDirectory = Path.GetDirectoryName(dll)!, // content root: the appsettings.json next to the dll
            UseShellExecute = false,
        };
        foreach (var inherited in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "Metrics__PrometheusPort", "ASPNETCORE_URLS", "DOTNET_URLS" })
            start.Environment.Remove(inherited);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var shipped = ShippedRuntimeSettings.Of(context.RepoRoot, project);
        foreach (var (key, value) in shipped)
            start.Environment[key] = value;
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}.");
        BenchContext.Log($"started {name} (pid {process.Id}), log {Path.GetRelativePath(context.RepoRoot, log)}; " +
                         $"runtime settings of its image: {(shipped.Count == 0 ? "none" : string.Join(' ', shipped.Select(s => $"{s.Key}={s.Value}")))}");
        return new ServiceProcess(name, process, log, context);
    }

    /// <summary>Resident set and its peak, from /proc/&lt;pid&gt;/status, in MiB.</summary>
    public (double RssMb, double PeakMb) Memory()
    {
        var m = MemoryDetail();
        return (m.RssMb, m.PeakMb);
    }

    /// <summary>
    /// VmRSS and its parts: anonymous (heaps, stacks), file-backed (mapped assemblies and native libraries,
    /// shared and reclaimable) and shared memory (the JIT's double-mapped code), and the peak (VmHWM); MiB.
    /// </summary>
    public MemoryUse MemoryDetail()
    {
        var status = File.ReadAllLines($"/proc/{Pid}/status");
        double Field(string name)
        {
            var line = status.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
            if (line is null)
                return double.NaN;
            var kb = long.Parse(line[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return Math.Round(kb / 1024.0, 1);
        }
        return new MemoryUse(Field("VmRSS"), Field("VmHWM"), Field("RssAnon"), Field("RssFile"), Field("RssShmem"), (int)Field("Threads"));
    }

    /// <summary>Threads and CPU time so far (user+system, seconds), from /proc.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[11] = utime, fields[12] = stime (clock ticks; 100 per second on Linux)
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public async Task WaitUntilAsync(Func<Task<bool>> ready, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} at start; see {LogFile}:\n{Tail(LogFile, 20)}");
            try
            {
                if (await ready())
                    return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Name} was not ready within {timeout}; see {LogFile}:\n{Tail(LogFile, 20)}");
            await Task.Delay(200, cancel);
        }
    }

    /// <summary>SIGTERM (graceful), then SIGKILL after 20 s; by PID.</summary>
    public async ValueTask StopAsync()
    {
        if (_process.HasExited)
            return;
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            await kill!.WaitForExitAsync();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        BenchContext.Log($"stopped {Name} (pid {Pid})");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _cleanup.Dispose();
        _process.Dispose();
    }

    private static string Tail(string file, int lines)
    {
        try
        {
            return string.Join('\n', File.ReadLines(file).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
