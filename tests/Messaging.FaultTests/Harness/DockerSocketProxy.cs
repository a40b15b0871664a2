using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Messaging.FaultTests.Harness;

/// <summary>
/// A unix socket that forwards to the real engine's socket. The worker under test gets
/// <c>Docker__Endpoint=unix://&lt;this socket&gt;</c>; stopping the proxy makes "the engine go away" for that
/// worker alone (the socket file disappears and open connections are cut) without touching dockerd,
/// which other tests share. Starting it again brings the engine back.
/// </summary>
internal sealed class DockerSocketProxy : IAsyncDisposable
{
    private readonly string _target;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private Socket? _listener;
    private CancellationTokenSource? _stop;
    private Task? _accepting;

    public DockerSocketProxy(string path, string target = "/var/run/docker.sock")
    {
        SocketPath = path;
        _target = target;
    }

    public string SocketPath { get; }
    public string Endpoint => $"unix://{SocketPath}";
    public bool IsUp => _listener is not null;

    private volatile string? _holdPattern;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    /// <summary>
    /// Holds every request whose first line contains <paramref name="pattern"/> (e.g. <c>/rename</c>): it is not
    /// forwarded until <see cref="Release"/>, so the worker is caught between two engine calls of one operation.
    /// </summary>
    public void HoldRequests(string pattern)
    {
        _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _holdPattern = pattern;
    }

    /// <summary>Requests held so far.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Ends holding; held requests are dropped (their connections cut), never forwarded late.</summary>
    public void Release()
    {
        _holdPattern = null;
        _released.TrySetResult();
    }

    /// <summary>Connections accepted while up, and those cut by <see cref="Stop"/>.</summary>
    public int Accepted { get; private set; }
    public int Cut { get; private set; }

    public void Start()
    {
        if (_listener is not null)
            return;
        File.Delete(SocketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(256);
        _listener = listener;
        _stop = new CancellationTokenSource();
        _accepting = AcceptLoop(listener, _stop.Token);
    }

    private async Task AcceptLoop(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Accepted++;
            _ = Task.Run(() => Forward(client, stop), CancellationToken.None);
        }
    }

    private async Task Forward(Socket client, CancellationToken stop)
    {
        var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _open[client] = 0;
        _open[upstream] = 0;
        try
        {
            await upstream.ConnectAsync(new UnixDomainSocketEndPoint(_target), stop);
            using var clientStream = new NetworkStream(client, ownsSocket: false);
            using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
            // Either side closing ends both directions.
            await Task.WhenAny(Pump(clientStream, upstream, stop, HoldIfAsked), Pump(upstreamStream, client, stop));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            Close(client);
            Close(upstream);
        }
    }

    /// <summary>True when the chunk starts a request to hold: it was held, and is then dropped.</summary>
    private async Task<bool> HoldIfAsked(ReadOnlyMemory<byte> chunk)
    {
        var pattern = _holdPattern;
        if (pattern is null)
            return false;
        var text = System.Text.Encoding.ASCII.GetString(chunk.Span[..Math.Min(chunk.Length, 512)]);
        var firstLine = text.Split('\n')[0];
        if (!firstLine.Contains(pattern, StringComparison.Ordinal))
            return false;
        Interlocked.Increment(ref _held);
        await _released.Task;
        return true;
    }

    private static async Task Pump(NetworkStream from, Socket to, CancellationToken stop, Func<ReadOnlyMemory<byte>, Task<bool>>? drop = null)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, stop);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    // Keep the other direction open until it ends too (HTTP responses after a half-close).
                    await Task.Delay(Timeout.Infinite, stop);
                    return;
                }
                if (drop is not null && await drop(buffer.AsMemory(0, read)))
                    return; // the request is dropped: ending this pump closes both sides
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    private void Close(Socket socket)
    {
        if (_open.TryRemove(socket, out _))
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            socket.Dispose();
        }
    }

    /// <summary>The engine goes away: no socket file, every open connection cut.</summary>
    public async Task StopAsync()
    {
        if (_listener is null)
            return;
        await _stop!.CancelAsync();
        _listener.Dispose();
        _listener = null;
        if (_accepting is not null)
            await _accepting;
        foreach (var socket in _open.Keys.ToArray())
        {
            Cut++;
            Close(socket);
        }
        File.Delete(SocketPath);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop?.Dispose();
    }
}
