using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>Which way a figure is good: for a ratio "system / baseline" and for the target.</summary>
public enum Better { Lower, Higher, Exact, Info }

/// <summary>One line of the table: a figure of the system, its baseline from the same run, the ratio, the target.</summary>
public sealed record ResultRow
{
    public required string Id { get; init; }
    public required string Figure { get; init; }
    public required string Unit { get; init; }
    public double Value { get; init; }
    public double? Baseline { get; init; }
    public string? BaselineName { get; init; }
    /// <summary>Value / baseline.</summary>
    public double? Ratio => Baseline is { } b && b != 0 && !double.IsNaN(Value) ? Value / b : null;
    /// <summary>What the target compares: "value" or "ratio".</summary>
    public string? TargetOn { get; init; }
    public double? Target { get; init; }
    public Better Direction { get; init; } = Better.Info;
    /// <summary>A target that is not a number (e.g. "9001 distinct, then ports_exhausted").</summary>
    public bool? MetOverride { get; init; }
    public string? TargetText { get; init; }
    public string? Note { get; init; }

    public bool? Met
    {
        get
        {
            if (MetOverride is not null)
                return MetOverride;
            if (Target is not { } target)
                return null;
            var actual = TargetOn == "ratio" ? Ratio : Value;
            if (actual is not { } a || double.IsNaN(a))
                return false;
            return Direction switch
            {
                Better.Lower => a <= target,
                Better.Higher => a >= target,
                Better.Exact => a == target,
                _ => null,
            };
        }
    }

    public string TargetDisplay
    {
        get
        {
            if (TargetText is not null)
                return TargetText;
            if (Target is not { } t)
                return "-";
            var op = Direction switch { Better.Lower => "<=", Better.Higher => ">=", Better.Exact => "=", _ => "" };
            return TargetOn == "ratio" ? $"ratio {op} {Fmt(t)}" : $"{op} {Fmt(t)} {Unit}";
        }
    }

    public static string Fmt(double value) =>
        double.IsNaN(value) ? "n/a"
        : value == Math.Round(value) && Math.Abs(value) < 1000 ? value.ToString("F0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 1000 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("F1", CultureInfo.InvariantCulture)
        : value.ToString("F2", CultureInfo.InvariantCulture);
}

/// <summary>The run's rows, printed as a table and written as JSON with the machine and the details.</summary>
public sealed class ResultTable
{
    private readonly List<ResultRow> _rows = [];
    private readonly Dictionary<string, object?> _details = [];
    private readonly object _gate = new();

    public void Add(ResultRow row)
    {
        lock (_gate)
            _rows.Add(row);
        Console.WriteLine($"  -> {row.Figure}: {ResultRow.Fmt(row.Value)} {row.Unit}" +
                          (row.Baseline is { } b ? $" (baseline {ResultRow.Fmt(b)}, ratio {ResultRow.Fmt(row.Ratio ?? double.NaN)})" : "") +
                          (row.Met is { } met ? (met ? "  [met]" : "  [NOT met]") : ""));
    }

    public void Detail(string key, object? value)
    {
        lock (_gate)
            _details[key] = value;
    }

    public IReadOnlyList<ResultRow> Rows => _rows;

    public string Render()
    {
        var header = new[] { "figure", "value", "baseline", "ratio", "target", "met" };
        var lines = _rows.Select(r => new[]
        {
            r.Figure,
            $"{ResultRow.Fmt(r.Value)} {r.Unit}",
            r.Baseline is { } b ? $"{ResultRow.Fmt(b)} {r.Unit} ({r.BaselineName})" : "-",
            r.Ratio is { } ratio ? ResultRow.Fmt(ratio) : "-",
            r.TargetDisplay,
            r.Met switch { true => "yes", false => "NO", null => "-" },
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, lines.Count == 0 ? 0 : lines.Max(l => l[i].Length))).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine("| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |");
        Line(header);
        text.AppendLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var line in lines)
            Line(line);
        var notes = _rows.Where(r => r.Note is not null).ToList();
        if (notes.Count > 0)
        {
            text.AppendLine();
            foreach (var row in notes)
                text.AppendLine($"- {row.Figure.Trim()}: {row.Note}");
        }
        return text.ToString();
    }

    public async Task WriteJsonAsync(string path, object run)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var document = new
        {
            run,
            rows = _rows.Select(r => new
            {
                id = r.Id, figure = r.Figure, unit = r.Unit, value = Round(r.Value), baseline = r.Baseline is { } b ? Round(b) : (double?)null,
                baseline_name = r.BaselineName, ratio = r.Ratio is { } ratio ? Math.Round(ratio, 4) : (double?)null,
                target = r.TargetDisplay, met = r.Met, note = r.Note,
            }),
            details = _details,
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, new JsonSerializerOptions
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }));
    }

    private static double Round(double value) => double.IsNaN(value) ? value : Math.Round(value, 3);
}
