using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Testing;

/// <summary>What a <see cref="TcpReceiver"/> does with one connection.</summary>
public enum ReceiverReply
{
    /// <summary>Reads the request and answers with the receiver's status.</summary>
    Answer,

    /// <summary>Closes the connection at once (the sender sees no answer).</summary>
    Drop,

    /// <summary>Accepts and never says a word (the sender waits out its attempt timeout).</summary>
    Hang,
}

/// <summary>
/// A webhook receiver made of a bare TCP listener on 127.0.0.1, so that a test decides what each connection meets
/// (an answer, a dropped connection, silence) and counts the connections: one per attempt, since every answer
/// closes its connection.
/// </summary>
public sealed class TcpReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _held = [];
    private readonly Func<int, ReceiverReply> _reply;
    private readonly int _status;
    private readonly Task _accepting;
    private int _connections;

    private TcpReceiver(Func<int, ReceiverReply> reply, int status)
    {
        _reply = reply;
        _status = status;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Answers every request with <paramref name="status"/>.</summary>
    public static TcpReceiver Answering(int status) => new(_ => ReceiverReply.Answer, status);

    /// <summary>Does with connection number <c>n</c> (from 1) what <paramref name="reply"/> says; answers are 200.</summary>
    public static TcpReceiver Replying(Func<int, ReceiverReply> reply) => new(reply, 200);

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            try
            {
                switch (_reply(Interlocked.Increment(ref _connections)))
                {
                    case ReceiverReply.Answer:
                        _ = AnswerAsync(client);
                        break;
                    case ReceiverReply.Drop:
                        client.Client.LingerState = new LingerOption(true, 0); // a reset, not a polite close
                        client.Dispose();
                        break;
                    case ReceiverReply.Hang:
                        _held.Add(client);
                        break;
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                client.Dispose(); // the sender hung up first; the next connection is served all the same
            }
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                await ReadRequestAsync(stream);
                var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 {_status} Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(answer, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    /// <summary>Reads the headers and as many body bytes as Content-Length says, so the answer never cuts the request off.</summary>
    private async Task ReadRequestAsync(NetworkStream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(received)) < 0)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
                return;
            received.AddRange(buffer.AsSpan(0, read));
        }
        var headers = Encoding.ASCII.GetString(received.GetRange(0, headerEnd).ToArray());
        var length = headers.Split("\r\n").Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(parts => int.Parse(parts[1].Trim())).FirstOrDefault();
        var bodyRead = received.Count - (headerEnd + 4);
        while (bodyRead < length)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
                return;
            bodyRead += read;
        }
    }

    private static int IndexOfHeaderEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
                return i;
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var client in _held)
            client.Dispose();
        _stop.Dispose();
    }
}
