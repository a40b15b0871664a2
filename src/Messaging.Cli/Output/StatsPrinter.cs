using System.Globalization;
using Messaging.Cli.Api;

namespace Messaging.Cli.Output;

/// <summary>A service's resource figures as one row, in the columns of <c>docker stats --no-stream</c>.</summary>
internal static class StatsPrinter
{
    public static void Write(TextWriter output, string name, ServiceStats s) =>
        TableWriter.Write(output, ["NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"],
        [
            [
                name,
                Percent(s.CpuPercent),
                $"{Size(s.MemoryUsedBytes)} / {Size(s.MemoryLimitBytes)}",
                s.MemoryLimitBytes > 0 ? Percent(100.0 * s.MemoryUsedBytes / s.MemoryLimitBytes) : "-",
                $"{Size(s.NetworkRxBytes)} / {Size(s.NetworkTxBytes)}",
                $"{Size(s.BlockReadBytes)} / {Size(s.BlockWriteBytes)}",
                s.Pids.ToString(CultureInfo.InvariantCulture),
            ],
        ]);

    private static string Percent(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "%";

    /// <summary>Bytes in binary units (B, KiB, MiB, GiB), one decimal above bytes.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
            return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        var value = (double)bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + units[unit];
    }
}
