using System.Net.Http.Headers;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Worker;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Messaging.State.Tokens;
using Messaging.Testing;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Messaging.IntegrationTests;

/// <summary>
/// The whole system on the real services: the API (in-process, real RabbitMQ transport), the worker
/// (in-process host, real engine), and a subscriber. Everything it makes carries the instance label
/// <see cref="Instance"/> and a Redis key prefix of its own, and is removed before and after.
/// </summary>
public class SystemFixture : IAsyncLifetime
{
    public const string Instance = "it-tests";

    /// <summary>A broker user the worker gives a quota of no services (SecurityEndToEndTests' hostile system).</summary>
    public const string ZeroQuotaSystem = "it-zero-quota";
    public const string Token = "integration-admin-token-0123456789abcdef";
    public const string AliceToken = "integration-alice-token-0123456789abcdef";
    public const string BobToken = "integration-bob-token-0123456789abcdef00";
    public const string ReaderToken = "integration-reader-token-0123456789abcdef";
    public const int PortMin = 19000;
    public const int PortMax = 19999;

    /// <summary>This run's corner of the shared services: label, key prefix, port range, health file.</summary>
    public SystemSettings SystemSettings { get; } = new()
    {
        Instance = Instance,
        KeyPrefix = $"it:{Guid.NewGuid():N}:",
        PortMin = PortMin,
        PortMax = PortMax,
        HealthFile = Path.Combine(Path.GetTempPath(), $"messaging-it-{Guid.NewGuid():N}.health"),
    };

    /// <summary>Where the worker reports its readiness.</summary>
    public string HealthFile => SystemSettings.HealthFile!;

    /// <summary>The Redis key prefix of this run.</summary>
    public string KeyPrefix => SystemSettings.KeyPrefix;
    private IHost _worker = null!;
    private IHost _audit = null!;
    private ApiFactory _api = null!;

    public EventListener Events { get; private set; } = null!;

    /// <summary>Spans of the three hosts (API, worker, audit), and every line they log.</summary>
    public SpanCollector Spans { get; } = new();
    private readonly List<LogCollector> _logs = [];

    /// <summary>Every line any host logged (one collector per host: each host has its own scopes).</summary>
    public IReadOnlyList<string> LogLines => [.. _logs.SelectMany(l => l.Lines)];
    public IDockerClient Docker { get; } = TestEnvironment.DockerClient();
    public IDatabase Redis => _worker.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    /// <summary>The worker's services, e.g. its record store, for tests that play a compromised neighbour.</summary>
    public IServiceProvider WorkerServices => _worker.Services;

    /// <summary>Where the API listens (a free loopback port).</summary>
    public Uri ApiAddress { get; private set; } = null!;

    /// <summary>A client of the API with the given bearer token (the admin token by default).</summary>
    public HttpClient Api(string? token = Token)
    {
        var client = new HttpClient { BaseAddress = ApiAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public virtual async Task InitializeAsync()
    {
        await RemoveOurContainers();
        Events = await EventListener.StartAsync();

        // The worker's own appsettings.json (default allowlist and caps), as it runs in production.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = TestPaths.ProjectDirectory("Messaging.Worker"),
        });
        builder.Configuration.AddInMemoryCollection(Settings());
        builder.AddWorker();
        Observe(builder.Services);
        _worker = builder.Build();
        await _worker.StartAsync();
        _audit = await AuditHostForTests.StartAsync(Settings(), Observe); // audit trail + webhook deliveries (AuditHostForTests.cs)
        await SeedTokens();

        // On a real socket, so that the CLI and curl-like clients can talk to it too.
        _api = new ApiFactory(Settings(), Observe);
        _api.UseKestrel(0);
        _api.StartServer();
        ApiAddress = _api.ClientOptions.BaseAddress;
    }

    /// <summary>The build contexts of the build tests (Builds/BuildContextsForTests.cs), written once per run.</summary>
    public Builds.BuildContextsForTests BuildContexts { get; } = new();

    /// <summary>Settings a derived fixture adds for every host (the swarm fixture's <c>Scheduler:Mode</c>).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [];

    /// <summary>Every host's settings, as the fixture gives them (for a test that starts one more host of its own).</summary>
    public Dictionary<string, string?> HostSettings() => Settings();

    private Dictionary<string, string?> Settings()
    {
        var settings = DefaultSettings();
        foreach (var (key, value) in ExtraSettings()) // a derived fixture's settings win (the manager-restart swarm's engine)
            settings[key] = value;
        return settings;
    }

    private Dictionary<string, string?> DefaultSettings() => new(SystemSettings.ToConfiguration().Concat(BuildContexts.Settings()))
    {
        ["Auth:BootstrapToken"] = Token,
        ["Webhooks:AllowPrivateAddresses"] = "true", // the webhook tests' receivers listen on 127.0.0.1
        [$"Quotas:Systems:Users:{ZeroQuotaSystem}:MaxServices"] = "0",
        // The supervisor with short backoffs, and an image that misbehaves on request (SupervisionTests).
        ["Supervisor:BackoffBase"] = "00:00:00.500",
        ["Supervisor:BackoffCap"] = "00:00:04",
        ["Supervisor:DueCheckInterval"] = "00:00:00.200",
        // Entries 0 (nginx:alpine) and 1 (messaging-test/kv) are the shipped ones of the worker's appsettings.json.
        ["Policy:AllowedImages:2:Image"] = SupervisionImage,
        ["Policy:AllowedImages:2:MaxMemory"] = "128m", // not below Policy:DefaultMemory (128m)
        ["Policy:AllowedImages:2:MaxCpus"] = "0.5",
        ["Policy:AllowedImages:2:User"] = "101:101",
        ["Policy:AllowedImages:2:HealthCheck:Kind"] = "command",
        ["Policy:AllowedImages:2:HealthCheck:Run:0"] = "sh",
        ["Policy:AllowedImages:2:HealthCheck:Run:1"] = "-c",
        ["Policy:AllowedImages:2:HealthCheck:Run:2"] = "test ! -e /tmp/unhealthy",
        ["Policy:AllowedImages:2:HealthCheck:Interval"] = "00:00:01",
        ["Policy:AllowedImages:2:HealthCheck:Timeout"] = "00:00:01",
        ["Policy:AllowedImages:2:HealthCheck:Retries"] = "2",
        ["Policy:AllowedImages:2:Supervision:MaxRestarts"] = "3",
        ["Policy:AllowedImages:2:AllowCommand"] = "true", // a stack member of it may set command/entrypoint (StackEndToEndTests)
        // An image that can run no check itself: the worker probes it (SupervisionTests).
        ["Policy:AllowedImages:3:Image"] = BareHttpImage,
        ["Policy:AllowedImages:3:MaxMemory"] = "128m",
        ["Policy:AllowedImages:3:MaxCpus"] = "0.5",
        ["Policy:AllowedImages:3:User"] = "101:101",
        ["Policy:AllowedImages:3:HealthCheck:Kind"] = "http",
        ["Policy:AllowedImages:3:HealthCheck:Path"] = "/health",
        ["Policy:AllowedImages:3:HealthCheck:ProbedBy"] = "worker",
        ["Policy:AllowedImages:3:HealthCheck:Interval"] = "00:00:01",
        ["Policy:AllowedImages:3:HealthCheck:Timeout"] = "00:00:01",
        ["Policy:AllowedImages:3:HealthCheck:Retries"] = "2",
        ["Policy:AllowedImages:3:Supervision:MaxRestarts"] = "3",
        // The edge tests' hostnames (Edge/EdgeHostForTests.cs): the API and the worker judge extra hostnames with them.
        ["Edge:BaseDomain"] = Edge.EdgeHostForTests.BaseDomain,
        ["Edge:AllowedSuffixes:0"] = Edge.EdgeHostForTests.ExtraSuffix,
    };

    /// <summary>The image of infra/images/supervision: exits, runs out of memory or serves, as its BEHAVIOUR variable says.</summary>
    public const string SupervisionImage = "messaging-test/supervision:latest";

    /// <summary>The image of infra/images/bare-http: a web server with no wget, nc or shell on its PATH.</summary>
    public const string BareHttpImage = "messaging-test/bare-http:latest";

    private async Task SeedTokens()
    {
        var tokens = _worker.Services.GetRequiredService<TokenStore>();
        foreach (var (id, token, scopes) in new[]
        {
            ("alice", AliceToken, new[] { "services:read", "services:write", "images:build" }),
            ("bob", BobToken, new[] { "services:read", "services:write", "images:build" }),
            ("reader", ReaderToken, new[] { "services:read" }),
        })
        {
            await tokens.SaveAsync(new TokenRecord
            {
                Id = id, Name = id, Scopes = scopes, Sha256 = Convert.ToHexString(TokenStore.Hash(token)), CreatedAt = DateTimeOffset.UtcNow,
            });
        }
    }

    public Task<IList<ContainerListResponse>> OurContainers(string? name = null) => SystemCleanup.ContainersAsync(Docker, Instance, name);

    private Task RemoveOurContainers() => SystemCleanup.RemoveContainersAsync(Docker, Instance);

    public virtual async Task DisposeAsync()
    {
        await RemoveOurContainers();
        await _audit.StopAsync(); // before the keys go, so that it writes none again
        _audit.Dispose();
        await SystemCleanup.DeleteKeysAsync(_worker.Services.GetRequiredService<IConnectionMultiplexer>(), KeyPrefix);
        await Builds.BuildContextsForTests.RemoveBuiltImagesAsync(Docker);
        BuildContexts.Dispose();
        await Events.DisposeAsync();
        await _api.DisposeAsync();
        await _worker.StopAsync();
        _worker.Dispose();
        Docker.Dispose();
    }

    private void Observe(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
        var logs = new LogCollector();
        _logs.Add(logs);
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
    }

    private sealed class ApiFactory(Dictionary<string, string?> settings, Action<IServiceCollection> observe) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
                builder.UseSetting(key, value);
            builder.ConfigureServices(observe);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system";
}
