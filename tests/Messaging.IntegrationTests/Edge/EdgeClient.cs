using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Messaging.Testing;

namespace Messaging.IntegrationTests.Edge;

/// <summary>
/// A client of the edge as a browser would be one, with two differences: every name resolves to 127.0.0.1 (the
/// edge's listener), and the only root it trusts is the one pebble issues from. A page it gets therefore came over
/// TLS with a certificate that pebble issued for that very hostname.
/// </summary>
public sealed class EdgeClient : IDisposable
{
    private readonly HttpClient _http;

    private EdgeClient(HttpClient http) => _http = http;

    public static async Task<EdgeClient> CreateAsync()
    {
        var root = await PebbleIssuingRootAsync();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
                    certificate is X509Certificate2 leaf && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                    && ChainsTo(root, leaf, presented),
            },
            // A fresh connection per test step: a connection kept from before a change would hide what a new visitor sees.
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        return new EdgeClient(new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) });
    }

    public static Uri Address(string host) => new($"https://{host}:{EdgeHostForTests.HttpsPort}/");

    public Task<HttpResponseMessage> GetAsync(string host) => _http.GetAsync(Address(host));

    /// <summary>Polls until the hostname answers <paramref name="status"/> (and, if given, a body containing <paramref name="text"/>).</summary>
    public async Task<string> WaitForAsync(string host, HttpStatusCode status, string? text = null, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await GetAsync(host);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == status && (text is null || body.Contains(text, StringComparison.Ordinal)))
                    return body;
                last = $"{(int)response.StatusCode}: {body[..Math.Min(body.Length, 200)]}";
            }
            catch (HttpRequestException e)
            {
                last = e.InnerException?.Message ?? e.Message;
            }
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"https://{host} did not answer {(int)status}{(text is null ? "" : $" with '{text}'")} within {seconds} s; last: {last}");
    }

    private static bool ChainsTo(X509Certificate2 root, X509Certificate2 leaf, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        return chain.Build(leaf);
    }

    /// <summary>pebble makes a new root at each start and serves it on its management port (over its own self-signed HTTPS).</summary>
    private static async Task<X509Certificate2> PebbleIssuingRootAsync()
    {
        var server = X509CertificateLoader.LoadCertificateFromFile(TestEnvironment.Pebble.ServerCertificateFile);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == server.Thumbprint,
        };
        using var http = new HttpClient(handler);
        var pem = await http.GetStringAsync(TestEnvironment.Pebble.IssuingRootUrl);
        return X509Certificate2.CreateFromPem(pem);
    }

    public void Dispose() => _http.Dispose();
}
