using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Messaging.Benchmarks.Infrastructure;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// The edge (issue 15): the system with the edge host (src/Messaging.Edge) as a process, driving the Caddy and pebble
/// that infra/services-up.sh runs.
/// <list type="bullet">
/// <item>Time from the worker's ServiceCreated (the record turns running, stamped a moment before the event) to the first
/// verified HTTPS answer at <c>https://{name}.bench.test</c>: route, certificate from pebble and proxying together; p50 over
/// <see cref="Services"/> services created one after the other.</item>
/// <item>One service's page through the edge (HTTPS, certificate verified, connections kept) against straight to its
/// published port (plain HTTP), same client and concurrency, each for <see cref="Seconds"/> s after a warm-up, in one run:
/// latency with one request in flight (what the edge adds to a request; with many in flight the figure is the queue
/// in front of the service), requests/s with <see cref="Concurrency"/> in flight. The measured service gets a whole CPU,
/// so the proxy rather than a throttled container is what the two runs differ by.</item>
/// </list>
/// </summary>
public static class EdgeBenchmark
{
    private const int Services = 10;
    private const int Concurrency = 16;
    private const int Seconds = 10;
    private const int HttpsPort = 9445;
    private const string BaseDomain = "bench.test";

    public static async Task RunAsync(BenchContext context, ResultTable table)
    {
        await using var system = await SystemUnderTest.StartAsync(context, "edge", withWorker: true);
        var storage = Path.Combine(Path.GetTempPath(), $"messaging-bench-edge-{context.RunId}");
        Directory.CreateDirectory(storage);
        using var removeStorage = context.OnCleanup($"edge storage {storage}", () => { Directory.Delete(storage, recursive: true); return Task.CompletedTask; });
        var environment = context.Settings(system.Prefix).ToEnvironment();
        var state = Environment.GetEnvironmentVariable("MESSAGING_INFRA_STATE_DIR") is { Length: > 0 } dir ? dir : "/tmp/messaging-infra";
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["Edge__BaseDomain"] = BaseDomain,
            ["Edge__AdminEndpoint"] = $"unix:{state}/caddy/admin.sock",
            ["Edge__ListenAddress"] = "127.0.0.1",
            ["Edge__HttpsPort"] = HttpsPort.ToString(CultureInfo.InvariantCulture),
            ["Edge__HttpPort"] = "9081",
            ["Edge__StorageDirectory"] = storage,
            ["Edge__Tls__Mode"] = "acme",
            ["Edge__Tls__AcmeDirectory"] = "https://127.0.0.1:8400/dir",
            ["Edge__Tls__AcmeServerRootFile"] = $"{state}/pebble/tls.pem",
            ["Health__File"] = Path.Combine(storage, "edge.health"),
        })
            environment[key] = value;
        await using var edge = ServiceProcess.Start(context, "Messaging.Edge", "edge-edge", environment);
        await edge.WaitUntilAsync(async () => File.Exists(environment["Health__File"]) && (await File.ReadAllTextAsync(environment["Health__File"])).Trim() == "Healthy",
            TimeSpan.FromSeconds(90), context.Cancel);

        using var https = EdgeClient(await PebbleRootAsync($"{state}/pebble/tls.pem"));
        var firstAnswer = new List<double>();
        var ids = new List<Guid>();
        for (var i = 0; i < Services; i++)
        {
            var name = $"edge-{context.RunId[..6]}-{i}".ToLowerInvariant();
            var (id, _) = await system.PostCreateAsync(name, "64m", 0.25, context.Cancel);
            ids.Add(id);
            var running = await WaitRunningAsync(system, id, context.Cancel);
            await WaitServedAsync(https, name, context.Cancel);
            firstAnswer.Add((DateTimeOffset.UtcNow - running).TotalMilliseconds);
        }
        var toHttps = new Stats(firstAnswer);
        table.Add(new ResultRow
        {
            Id = "edge.first_https.p50", Figure = "ServiceCreated -> first verified HTTPS answer through the edge, p50", Unit = "ms",
            Value = toHttps.P50, Direction = Better.Lower,
            Note = $"{Services} services one after the other; route + ACME certificate (pebble) + proxy; {toHttps}",
        });

        var probe = $"edge-{context.RunId[..6]}-load".ToLowerInvariant();
        var (probeId, _) = await system.PostCreateAsync(probe, "64m", 1.0, context.Cancel);
        ids.Add(probeId);
        await WaitRunningAsync(system, probeId, context.Cancel);
        await WaitServedAsync(https, probe, context.Cancel);
        var record = await system.Http.GetFromJsonAsync<JsonElement>($"/api/v1/services/{probeId}", context.Cancel);
        var port = record.GetProperty("host_port").GetInt32();
        using var direct = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
        var directPage = new Uri($"http://127.0.0.1:{port}/");
        var edgePage = new Uri($"https://{probe}.{BaseDomain}:{HttpsPort}/");
        var directOne = await LoadAsync(direct, directPage, inFlight: 1, context.Cancel);
        var edgeOne = await LoadAsync(https, edgePage, inFlight: 1, context.Cancel);
        var directMany = await LoadAsync(direct, directPage, Concurrency, context.Cancel);
        var edgeMany = await LoadAsync(https, edgePage, Concurrency, context.Cancel);
        table.Add(new ResultRow
        {
            Id = "edge.latency.p50", Figure = "page latency p50 through the edge (HTTPS) vs straight to the port (HTTP), 1 in flight", Unit = "ms",
            Value = edgeOne.Latency.P50, Baseline = directOne.Latency.P50, BaselineName = "direct", Direction = Better.Lower,
            TargetText = "overhead <= 1 ms", MetOverride = edgeOne.Latency.P50 - directOne.Latency.P50 <= 1,
            Note = $"overhead {edgeOne.Latency.P50 - directOne.Latency.P50:F2} ms; edge {edgeOne.Latency}; direct {directOne.Latency}",
        });
        table.Add(new ResultRow
        {
            Id = "edge.latency.p99", Figure = "page latency p99 through the edge vs straight, 1 in flight", Unit = "ms",
            Value = edgeOne.Latency.P99, Baseline = directOne.Latency.P99, BaselineName = "direct", Direction = Better.Lower,
        });
        table.Add(new ResultRow
        {
            Id = "edge.latency.loaded.p50", Figure = $"page latency p50 through the edge vs straight, {Concurrency} in flight", Unit = "ms",
            Value = edgeMany.Latency.P50, Baseline = directMany.Latency.P50, BaselineName = "direct", Direction = Better.Lower,
            Note = $"overhead {edgeMany.Latency.P50 - directMany.Latency.P50:F2} ms",
        });
        table.Add(new ResultRow
        {
            Id = "edge.throughput", Figure = $"pages/s through the edge vs straight, {Concurrency} in flight, {Seconds} s each", Unit = "req/s",
            Value = edgeMany.PerSecond, Baseline = directMany.PerSecond, BaselineName = "direct", Direction = Better.Higher,
            TargetText = ">= 0.8x direct", MetOverride = edgeMany.PerSecond >= 0.8 * directMany.PerSecond,
            Note = $"errors with 1 / {Concurrency} in flight: edge {edgeOne.ErrorText} / {edgeMany.ErrorText}, direct {directOne.ErrorText} / {directMany.ErrorText}",
        });

        foreach (var id in ids)
            using (await system.Http.DeleteAsync($"/api/v1/services/{id}", context.Cancel)) { }
    }

    private static async Task<DateTimeOffset> WaitRunningAsync(SystemUnderTest system, Guid id, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var record = await system.Http.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}", cancel);
            if (record.GetProperty("status").GetString() == "running")
                return record.GetProperty("updated_at").GetDateTimeOffset();
            await Task.Delay(5, cancel);
        }
        throw new TimeoutException($"Service {id} did not run within 60 s.");
    }

    private static async Task WaitServedAsync(HttpClient https, string name, CancellationToken cancel)
    {
        var address = new Uri($"https://{name}.{BaseDomain}:{HttpsPort}/");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await https.GetAsync(address, cancel);
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // No certificate yet (handshake refused) or no route yet.
            }
            await Task.Delay(10, cancel);
        }
        throw new TimeoutException($"{address} was not served within 60 s.");
    }

    private sealed record LoadRun(Stats Latency, double PerSecond, int Errors, string FirstError)
    {
        public string ErrorText => Errors == 0 ? "0" : $"{Errors} (first: {FirstError})";
    }

    /// <summary><paramref name="inFlight"/> loops, each one request after the other: 2 s warm-up, then <see cref="Seconds"/> s measured.</summary>
    private static async Task<LoadRun> LoadAsync(HttpClient client, Uri address, int inFlight, CancellationToken cancel)
    {
        string? firstError = null;
        async Task<(List<double> Latencies, int Errors)> Loop(DateTime until)
        {
            var latencies = new List<double>();
            var errors = 0;
            while (DateTime.UtcNow < until && !cancel.IsCancellationRequested)
            {
                var started = Clock.Now;
                try
                {
                    using var response = await client.GetAsync(address, cancel);
                    await response.Content.ReadAsByteArrayAsync(cancel);
                    if (response.StatusCode == HttpStatusCode.OK)
                        latencies.Add(Clock.MsSince(started));
                    else
                    {
                        errors++;
                        firstError ??= $"HTTP {(int)response.StatusCode}";
                    }
                }
                catch (HttpRequestException exception)
                {
                    errors++;
                    firstError ??= exception.InnerException?.Message ?? exception.Message;
                }
            }
            return (latencies, errors);
        }
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Loop(DateTime.UtcNow.AddSeconds(2))));
        firstError = null;
        var measuredFrom = Clock.Now;
        var runs = await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Loop(DateTime.UtcNow.AddSeconds(Seconds))));
        var elapsed = Clock.MsSince(measuredFrom) / 1000;
        var all = runs.SelectMany(r => r.Latencies).ToList();
        return new LoadRun(new Stats(all), all.Count / elapsed, runs.Sum(r => r.Errors), firstError ?? "");
    }

    /// <summary>A client of the edge: every name on 127.0.0.1, only pebble's issuing root trusted, connections kept.</summary>
    private static HttpClient EdgeClient(X509Certificate2 root) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = Concurrency,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancel);
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
            {
                if (certificate is not X509Certificate2 leaf || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    return false;
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
            },
        },
    }) { Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<X509Certificate2> PebbleRootAsync(string serverCertificateFile)
    {
        var server = X509CertificateLoader.LoadCertificateFromFile(serverCertificateFile);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c?.Thumbprint == server.Thumbprint };
        using var http = new HttpClient(handler);
        return X509Certificate2.CreateFromPem(await http.GetStringAsync("https://127.0.0.1:8401/roots/0"));
    }
}
