using System.Globalization;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// Who used the machine's CPU during a window: the service processes, the broker, Redis, the engine, this
/// tool (the load generator), and everything else (e.g. test suites running at the same time), in cores.
/// Read from /proc (utime+stime of each process, and the machine's busy time from /proc/stat).
/// </summary>
public sealed class CpuBudget
{
    private readonly Dictionary<string, int[]> _groups;
    private readonly Dictionary<int, double> _start = [];
    private readonly double _machineStart;
    private readonly long _started = Clock.Now;

    private CpuBudget(Dictionary<string, int[]> groups)
    {
        _groups = groups;
        foreach (var pid in groups.Values.SelectMany(p => p))
            _start[pid] = ProcessSeconds(pid);
        _machineStart = MachineBusySeconds();
    }

    /// <summary>Starts a window; <paramref name="ours"/> names our own service processes.</summary>
    public static CpuBudget Start(params (string Name, int Pid)[] ours)
    {
        var groups = ours.ToDictionary(o => o.Name, o => new[] { o.Pid });
        groups["bench tool (load generator, baselines)"] = [Environment.ProcessId];
        groups["rabbitmq (beam.smp)"] = PidsOf("beam.smp");
        groups["redis-server"] = PidsOf("redis-server");
        groups["dockerd + containerd + shims"] = [.. PidsOf("dockerd"), .. PidsOf("containerd"), .. PidsOf("containerd-shim-runc-v2"), .. PidsOf("docker-proxy")];
        return new CpuBudget(groups);
    }

    /// <summary>Cores used by each group since the start, and by everything else.</summary>
    public Dictionary<string, double> Stop()
    {
        var seconds = Clock.MsSince(_started) / 1000;
        var result = new Dictionary<string, double>();
        double ours = 0;
        foreach (var (name, pids) in _groups)
        {
            // Processes that appeared during the window (container shims) count from 0; vanished ones are lost.
            var used = pids.Sum(pid => Math.Max(0, ProcessSeconds(pid) - _start.GetValueOrDefault(pid)));
            ours += used;
            result[name] = Math.Round(used / seconds, 2);
        }
        var machine = (MachineBusySeconds() - _machineStart) / seconds;
        result["everything else (short-lived runc, kernel work, other test suites)"] = Math.Round(Math.Max(0, machine - ours / seconds), 2);
        result["machine total (of " + Environment.ProcessorCount + " cores)"] = Math.Round(machine, 2);
        return result;
    }

    public static string Format(Dictionary<string, double> budget) =>
        string.Join("; ", budget.Select(b => $"{b.Key} {b.Value:F2}"));

    private static int[] PidsOf(string command)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() == command)
                    pids.Add(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return [.. pids];
    }

    private static double ProcessSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>Seconds all cores together spent busy (not idle, not iowait), from the first line of /proc/stat.</summary>
    private static double MachineBusySeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal ...
        var busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields.Length > 7 ? fields[7] : 0);
        return busy / 100.0;
    }
}
