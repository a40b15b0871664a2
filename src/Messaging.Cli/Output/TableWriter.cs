namespace Messaging.Cli.Output;

/// <summary>Left-aligned columns, two spaces apart, like <c>docker ps</c>. The last column is not padded.</summary>
internal static class TableWriter
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = headers.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        foreach (var row in all)
        {
            var cells = row.Select((cell, column) => column == row.Count - 1 ? cell : cell.PadRight(widths[column]));
            output.WriteLine(string.Join("  ", cells));
        }
    }

    /// <summary><c>key: value</c> lines with the values aligned.</summary>
    public static void WriteFields(TextWriter output, IReadOnlyList<(string Key, string Value)> fields)
    {
        var width = fields.Max(f => f.Key.Length) + 1;
        foreach (var (key, value) in fields)
            output.WriteLine($"{(key + ":").PadRight(width)} {value}");
    }
}
