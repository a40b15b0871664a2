using Docker.DotNet;

namespace Messaging.Worker.Containers;

/// <summary>Log lines out of the engine's multiplexed stream (containers and services alike run without a TTY).</summary>
public static class EngineLogs
{
    public static async Task<IReadOnlyList<string>> ReadLinesAsync(MultiplexedStream stream, CancellationToken cancellationToken)
    {
        // Keep the lines in the order written, stdout and stderr interleaved.
        var lines = new List<string>();
        var buffer = new byte[16 * 1024];
        var pending = new System.Text.StringBuilder();
        var decoder = System.Text.Encoding.UTF8.GetDecoder(); // a character may straddle two frames
        var chars = new char[buffer.Length];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
                break;
            pending.Append(chars, 0, decoder.GetChars(buffer, 0, read.Count, chars, 0));
        }
        lines.AddRange(pending.ToString().Split('\n').Select(line => line.TrimEnd('\r')));
        if (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
