using System.Globalization;
using Messaging.Edge;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Messaging.IntegrationTests.Edge;

/// <summary>
/// The edge host (src/Messaging.Edge) in-process beside the system fixture's worker and API, driving the Caddy that
/// infra/caddy-up.sh runs, with certificates from pebble. Caddy listens on 127.0.0.1 only, on ports of the tests'
/// own, and keeps its certificates in a folder of this run; the sync runs every second so that a restarted Caddy
/// is served again quickly.
/// </summary>
public sealed class EdgeHostForTests : IAsyncDisposable
{
    public const string BaseDomain = "edge.test";
    /// <summary>The suffix extra hostnames may use in these tests.</summary>
    public const string ExtraSuffix = "customers.test";
    public const int HttpsPort = 9443;
    public const int HttpPort = 9080;

    private readonly IHost _host;

    private EdgeHostForTests(IHost host, string storage)
    {
        _host = host;
        StorageDirectory = storage;
    }

    public string StorageDirectory { get; }

    public IServiceProvider Services => _host.Services;

    public static Dictionary<string, string?> EdgeSettings(string storage) => new()
    {
        ["Edge:BaseDomain"] = BaseDomain,
        ["Edge:AdminEndpoint"] = TestEnvironment.CaddyAdmin,
        ["Edge:ListenAddress"] = "127.0.0.1",
        ["Edge:HttpsPort"] = HttpsPort.ToString(CultureInfo.InvariantCulture),
        ["Edge:HttpPort"] = HttpPort.ToString(CultureInfo.InvariantCulture),
        ["Edge:StorageDirectory"] = storage,
        ["Edge:SyncInterval"] = "00:00:01",
        ["Edge:Tls:Mode"] = "acme",
        ["Edge:Tls:AcmeDirectory"] = TestEnvironment.Pebble.Directory,
        ["Edge:Tls:AcmeServerRootFile"] = TestEnvironment.Pebble.ServerCertificateFile,
    };

    public static async Task<EdgeHostForTests> StartAsync(SystemSettings system, Dictionary<string, string?>? overrides = null)
    {
        var storage = Path.Combine(Path.GetTempPath(), $"messaging-it-edge-{Guid.NewGuid():N}");
        Directory.CreateDirectory(storage);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = TestPaths.ProjectDirectory("Messaging.Edge"),
        });
        builder.Configuration.AddInMemoryCollection(system.ToConfiguration());
        builder.Configuration.AddInMemoryCollection(EdgeSettings(storage));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Health:File"] = Path.Combine(Path.GetTempPath(), $"messaging-it-edge-{Guid.NewGuid():N}.health"),
        });
        if (overrides is not null)
            builder.Configuration.AddInMemoryCollection(overrides);
        builder.AddEdgeHost();
        var host = builder.Build();
        await host.StartAsync();
        return new EdgeHostForTests(host, storage);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try { Directory.Delete(StorageDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
