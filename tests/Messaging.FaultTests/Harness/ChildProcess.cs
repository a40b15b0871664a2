using System.Diagnostics;

namespace Messaging.FaultTests.Harness;

/// <summary>
/// A process the tests start (a worker, redis-server). Output goes to a log file; signals go by pid.
/// Each child gets FAULT_TESTS_CHILD=&lt;marker&gt; in its environment and a pid file, so a later run can end
/// the children of a run that crashed, and only those (<see cref="KillLeftovers"/>).
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const string MarkerVariable = "FAULT_TESTS_CHILD";
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly string _pidFile;
    private readonly Action<string>? _onLine;
    private readonly object _gate = new();

    private ChildProcess(string name, Process process, StreamWriter log, string pidFile, Action<string>? onLine)
    {
        Name = name;
        _process = process;
        _log = log;
        _pidFile = pidFile;
        _onLine = onLine;
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, string logPath, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var marker = Guid.NewGuid().ToString("N");
        start.Environment[MarkerVariable] = marker;

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"===== {DateTime.UtcNow:O} start {name}: {fileName} {string.Join(' ', start.ArgumentList)}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        ChildProcess? child = null;
        process.OutputDataReceived += (_, e) => child?.Line(e.Data);
        process.ErrorDataReceived += (_, e) => child?.Line(e.Data);
        if (!process.Start())
            throw new InvalidOperationException($"Could not start {fileName}.");
        var pidFile = Path.Combine(Paths.PidDirectory, $"{process.Id}.pid");
        File.WriteAllText(pidFile, marker);
        child = new ChildProcess(name, process, log, pidFile, onLine);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log.WriteLine($"===== pid {process.Id}");
        return child;
    }

    private void Line(string? line)
    {
        if (line is null)
            return;
        lock (_gate)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
        _onLine?.Invoke(line);
    }

    public void Note(string text)
    {
        lock (_gate)
        {
            try
            {
                _log.WriteLine($"===== {DateTime.UtcNow:O} {text}");
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Signal(int signal)
    {
        if (!_process.HasExited)
            Native.Signal(_process.Id, signal);
    }

    /// <summary>kill -9, and wait until the process is gone.</summary>
    public async Task KillAsync()
    {
        Note("SIGKILL");
        Signal(Native.SigCont);
        Signal(Native.SigKill);
        await WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>SIGTERM (after SIGCONT, in case it is stopped), then SIGKILL when it has not exited in time.</summary>
    public async Task TerminateAsync(TimeSpan grace)
    {
        if (_process.HasExited)
            return;
        Note("SIGTERM");
        Signal(Native.SigCont);
        Signal(Native.SigTerm);
        if (!await WaitForExitAsync(grace))
            await KillAsync();
    }

    private async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await TerminateAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            File.Delete(_pidFile);
            lock (_gate)
                _log.Dispose();
            _process.Dispose();
        }
    }

    /// <summary>Ends the children an earlier, crashed run left behind (pid files whose process still carries its marker).</summary>
    public static void KillLeftovers()
    {
        foreach (var file in Directory.GetFiles(Paths.PidDirectory, "*.pid"))
        {
            if (!int.TryParse(Path.GetFileNameWithoutExtension(file), out var pid))
                continue;
            var marker = File.ReadAllText(file).Trim();
            string environ;
            try
            {
                environ = File.ReadAllText($"/proc/{pid}/environ");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                File.Delete(file);
                continue;
            }
            if (marker.Length > 0 && environ.Split('\0').Contains($"{MarkerVariable}={marker}"))
            {
                Native.Signal(pid, Native.SigCont);
                Native.Signal(pid, Native.SigKill);
            }
            File.Delete(file);
        }
    }
}
