using System.Net.Sockets;

namespace Messaging.Edge.Caddy;

/// <summary>The HTTP client of Caddy's admin endpoint: over its unix socket, or to its loopback address.</summary>
internal static class CaddyAdminClient
{
    /// <summary>The Host header sent over the unix socket (and the origin Caddy is told to accept).</summary>
    public const string UnixSocketHost = "localhost";

    public static HttpClient Create(string endpoint)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        Uri baseAddress;
        if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
        {
            var socketPath = endpoint["unix:".Length..];
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            baseAddress = new Uri($"http://{UnixSocketHost}/");
        }
        else
        {
            baseAddress = new Uri(endpoint.TrimEnd('/') + "/");
        }
        // A reload with many certificates to manage takes a moment; a hung Caddy must not hold a sync forever.
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }
}
