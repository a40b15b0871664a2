using System.Net;
using System.Net.Sockets;
using System.Text;
using Messaging.Worker.Supervision;

namespace Messaging.UnitTests;

/// <summary>The worker's own HTTP health probe against a real socket: the status line read, anything else refused.</summary>
public sealed class HttpStatusProbeTests
{
    /// <summary>Serves one connection with <paramref name="answer"/> and returns the request it received.</summary>
    private static async Task<(int Port, Task<string> Request)> ServeOnceAsync(string answer)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        async Task<string> Serve()
        {
            try
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var request = new StringBuilder();
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer);
                    if (n == 0)
                        break;
                    request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                // Written in two pieces: the probe must wait for the whole status, not take the first read.
                var bytes = Encoding.ASCII.GetBytes(answer);
                await stream.WriteAsync(bytes.AsMemory(0, Math.Min(5, bytes.Length)));
                await stream.FlushAsync();
                await Task.Delay(50);
                await stream.WriteAsync(bytes.AsMemory(Math.Min(5, bytes.Length)));
                return request.ToString();
            }
            finally
            {
                listener.Stop();
            }
        }
        return (port, Serve());
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200)]
    [InlineData("HTTP/1.0 204 No Content\r\n\r\n", 204)]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n", 503)]
    [InlineData("HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\n\r\n", 301)]
    public async Task The_status_of_the_answer_is_read_and_the_request_is_a_plain_GET_with_connection_close(string answer, int status)
    {
        var (port, request) = await ServeOnceAsync(answer);

        Assert.Equal(status, await HttpStatusProbe.GetStatusAsync("127.0.0.1", port, "/health?x=1", CancellationToken.None));
        var sent = await request;
        Assert.StartsWith("GET /health?x=1 HTTP/1.1\r\n", sent);
        Assert.Contains($"\r\nHost: 127.0.0.1:{port}\r\n", sent);
        Assert.Contains("\r\nConnection: close\r\n", sent);
    }

    [Theory]
    [InlineData("")] // closed without a word
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20")]
    public async Task Anything_but_an_HTTP_status_line_is_an_IOException_naming_what_came(string answer)
    {
        var (port, _) = await ServeOnceAsync(answer);

        var error = await Assert.ThrowsAsync<IOException>(() => HttpStatusProbe.GetStatusAsync("127.0.0.1", port, "/", CancellationToken.None));
        Assert.StartsWith("Not an HTTP answer", error.Message);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_a_SocketException()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await Assert.ThrowsAnyAsync<SocketException>(() => HttpStatusProbe.GetStatusAsync("127.0.0.1", port, "/", CancellationToken.None));
    }

    [Fact]
    public async Task A_server_that_never_answers_is_cut_by_the_token()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HttpStatusProbe.GetStatusAsync("127.0.0.1", port, "/", timeout.Token));
        }
        finally
        {
            listener.Stop();
        }
    }
}
