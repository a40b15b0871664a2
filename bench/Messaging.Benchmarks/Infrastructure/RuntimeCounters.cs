using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// What dotnet-counters shows, read from a service process over its diagnostics port (EventPipe, the
/// runtime's <c>System.Runtime</c> counters every second): CPU, GC heap, time in GC, JIT activity, thread
/// pool. Used to wait until tiered compilation has settled before measuring, and to say where time and
/// memory go. (The packages come with BenchmarkDotNet.)
/// </summary>
public sealed class RuntimeCounters : IDisposable
{
    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly ConcurrentDictionary<string, double> _latest = new();
    private readonly ConcurrentDictionary<string, List<(long Ticks, double Value)>> _history = new();

    private RuntimeCounters(EventPipeSession session)
    {
        _session = session;
        _source = new EventPipeEventSource(session.EventStream);
        _source.Dynamic.All += OnEvent;
        _ = Task.Run(() =>
        {
            try
            {
                _source.Process();
            }
            catch (Exception)
            {
                // the process ended or the session was stopped
            }
        });
    }

    public static RuntimeCounters? TryAttach(int pid)
    {
        try
        {
            var client = new DiagnosticsClient(pid);
            var provider = new EventPipeProvider("System.Runtime", EventLevel.Informational, (long)EventKeywords.None,
                new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
            return new RuntimeCounters(client.StartEventPipeSession([provider], requestRundown: false, circularBufferMB: 16));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[bench] runtime counters of pid {pid} unavailable: {e.Message}");
            return null;
        }
    }

    private void OnEvent(TraceEvent data)
    {
        if (data.EventName != "EventCounters")
            return;
        if (data.PayloadValue(0) is not IDictionary<string, object> outer || outer["Payload"] is not IDictionary<string, object> payload)
            return;
        var name = payload["Name"]?.ToString() ?? "";
        var value = payload.TryGetValue("Increment", out var increment) && payload.TryGetValue("CounterType", out var type) && type?.ToString() == "Sum"
            ? Convert.ToDouble(increment, System.Globalization.CultureInfo.InvariantCulture)
            : Convert.ToDouble(payload["Mean"], System.Globalization.CultureInfo.InvariantCulture);
        _latest[name] = value;
        var history = _history.GetOrAdd(name, _ => []);
        lock (history)
            history.Add((Clock.Now, value));
    }

    /// <summary>The last value of a counter (e.g. <c>methods-jitted-count</c>, <c>gc-heap-size</c>), or NaN.</summary>
    public double Latest(string name) => _latest.TryGetValue(name, out var value) ? value : double.NaN;

    /// <summary>The mean of a counter's samples since <paramref name="since"/> (a <see cref="Clock.Now"/> value).</summary>
    public double MeanSince(string name, long since)
    {
        if (!_history.TryGetValue(name, out var history))
            return double.NaN;
        lock (history)
        {
            var values = history.Where(h => h.Ticks >= since).Select(h => h.Value).ToList();
            return values.Count == 0 ? double.NaN : values.Average();
        }
    }

    public double SumSince(string name, long since)
    {
        if (!_history.TryGetValue(name, out var history))
            return double.NaN;
        lock (history)
            return history.Where(h => h.Ticks >= since).Sum(h => h.Value);
    }

    /// <summary>
    /// Waits until the process compiles fewer than <paramref name="perSecond"/> methods per second for three
    /// seconds in a row (tiered compilation done with the hot path), at least <paramref name="min"/>, at most
    /// <paramref name="max"/>; while <paramref name="load"/> keeps the hot path hot. Returns the seconds waited.
    /// </summary>
    public async Task<double> WaitForJitToSettleAsync(TimeSpan min, TimeSpan max, double perSecond, CancellationToken cancel)
    {
        var started = Clock.Now;
        var calm = 0;
        var last = Latest("methods-jitted-count");
        while (true)
        {
            await Task.Delay(1000, cancel);
            var now = Latest("methods-jitted-count");
            calm = !double.IsNaN(now) && !double.IsNaN(last) && now - last < perSecond ? calm + 1 : 0;
            last = now;
            var waited = Clock.MsSince(started) / 1000;
            if ((calm >= 3 && waited >= min.TotalSeconds) || waited >= max.TotalSeconds)
                return waited;
        }
    }

    /// <summary>A summary of the counters over a window, for the JSON.</summary>
    public object Summary(long since) => new
    {
        cpu_usage_percent = Round(MeanSince("cpu-usage", since)),
        time_in_gc_percent = Round(MeanSince("time-in-gc", since)),
        alloc_rate_mb_per_s = Round(MeanSince("alloc-rate", since) / 1024 / 1024),
        gc_heap_size_mb = Round(Latest("gc-heap-size")),
        gc_committed_mb = Round(Latest("gc-committed")),
        working_set_mb = Round(Latest("working-set")),
        methods_jitted = Latest("methods-jitted-count"),
        time_in_jit_ms_per_s = Round(MeanSince("time-in-jit", since)),
        threadpool_threads = Round(MeanSince("threadpool-thread-count", since)),
        threadpool_queue_length = Round(MeanSince("threadpool-queue-length", since)),
        exceptions = SumSince("exception-count", since),
        lock_contention_per_s = Round(MeanSince("monitor-lock-contention-count", since)),
        gen0_gcs = SumSince("gen-0-gc-count", since), gen1_gcs = SumSince("gen-1-gc-count", since), gen2_gcs = SumSince("gen-2-gc-count", since),
    };

    private static double Round(double value) => double.IsNaN(value) ? value : Math.Round(value, 2);

    public void Dispose()
    {
        try
        {
            _session.Stop();
        }
        catch (Exception)
        {
            // already gone
        }
        _session.Dispose();
        _source.Dispose();
    }
}
