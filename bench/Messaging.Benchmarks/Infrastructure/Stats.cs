using System.Diagnostics;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>Percentiles over a sample (nearest-rank), in whatever unit the sample is.</summary>
public sealed class Stats
{
    private readonly double[] _sorted;

    public Stats(IEnumerable<double> values)
    {
        _sorted = values.ToArray();
        Array.Sort(_sorted);
    }

    public int Count => _sorted.Length;
    public double Min => _sorted.Length == 0 ? double.NaN : _sorted[0];
    public double Max => _sorted.Length == 0 ? double.NaN : _sorted[^1];
    public double Mean => _sorted.Length == 0 ? double.NaN : _sorted.Average();
    public double P50 => Percentile(50);
    public double P95 => Percentile(95);
    public double P99 => Percentile(99);

    /// <summary>Nearest-rank percentile: the smallest value with at least p% of the sample at or below it.</summary>
    public double Percentile(double p)
    {
        if (_sorted.Length == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * _sorted.Length);
        return _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)];
    }

    public object Summary(int digits = 2) => new
    {
        count = Count,
        min = Math.Round(Min, digits),
        p50 = Math.Round(P50, digits),
        p95 = Math.Round(P95, digits),
        p99 = Math.Round(P99, digits),
        max = Math.Round(Max, digits),
        mean = Math.Round(Mean, digits),
    };

    public override string ToString() => $"n={Count} p50={P50:F1} p95={P95:F1} p99={P99:F1} max={Max:F1}";
}

public static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static double MsSince(long from) => Ms(from, Stopwatch.GetTimestamp());
}
