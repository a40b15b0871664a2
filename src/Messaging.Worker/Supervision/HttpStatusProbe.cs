using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Worker.Supervision;

/// <summary>
/// One HTTP health probe the way an in-container <c>wget</c> makes it: a fresh connection, one <c>GET</c> with
/// <c>Connection: close</c>, and only the status line read back. The worker probes every worker-probed container every
/// interval (200 services at 10 s are 20 probes a second), and HttpClient's connection pool per address, handler
/// pipeline and header parsing cost it 0.7 points of a core more than this (3.63 against 2.90 %, docs/BENCHMARKS.md,
/// runs 12030749181983 and 12030812402f94) for answers it throws away; a status line is all a health check needs.
/// </summary>
public static class HttpStatusProbe
{
    /// <summary>The status the server answered a GET of <paramref name="path"/> with; throws on no answer or a malformed one.</summary>
    public static async Task<int> GetStatusAsync(string address, int port, string path, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(address, port, cancellationToken);
        var host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        var request = Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: {host}:{port.ToString(CultureInfo.InvariantCulture)}\r\nUser-Agent: messaging-worker-probe\r\nConnection: close\r\n\r\n");
        await socket.SendAsync(request, SocketFlags.None, cancellationToken);
        // "HTTP/1.1 200 OK\r\n": the first 12 bytes hold the status; a short read is waited on, never a whole body.
        var buffer = new byte[64];
        var read = 0;
        while (read < 12)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
                break;
            read += n;
        }
        return ParseStatus(buffer.AsSpan(0, read));
    }

    /// <summary>The status code of an HTTP/1.x status line's start (<c>HTTP/1.1 204 ...</c>).</summary>
    public static int ParseStatus(ReadOnlySpan<byte> start)
    {
        if (start.Length >= 12 && start.StartsWith("HTTP/1."u8) && start[8] == (byte)' ' &&
            int.TryParse(start.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 100 and <= 599)
            return status;
        throw new IOException($"Not an HTTP answer: '{Encoding.ASCII.GetString(start).ReplaceLineEndings(" ").Trim()}'");
    }
}
