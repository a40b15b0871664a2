using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.State.Tokens;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// The system as it runs in production, in processes of its own: the API (<c>Messaging.Api.dll</c>, real
/// Kestrel socket) and, optionally, the worker (<c>Messaging.Worker.dll</c>), on the bench's Redis prefix,
/// vhost, instance label and port range, with the rate limits lifted. A token of its own (services:read and
/// services:write, no quota) is seeded in Redis, as an operator would create one.
/// </summary>
public sealed class SystemUnderTest : IAsyncDisposable
{
    private readonly BenchContext _context;
    private readonly List<IDisposable> _registrations = [];

    private SystemUnderTest(BenchContext context, string part)
    {
        _context = context;
        Part = part;
        Prefix = context.Prefix(part);
        Token = "bench_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
    }

    public string Part { get; }
    public string Prefix { get; }
    public string Token { get; }
    public ServiceProcess Api { get; private set; } = null!;
    public ServiceProcess? Worker { get; private set; }
    public WorkerParts Parts { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public string OwnerId => "bench-token";

    /// <summary>
    /// Starts the API (and the worker). <paramref name="workerSettings"/> are settings of the scenario's own (e.g. an
    /// allowlist entry for a test image), given to the worker process and to <see cref="Parts"/>; unlike
    /// <c>--env worker:</c> they leave everything the system ships with as it is.
    /// </summary>
    public static async Task<SystemUnderTest> StartAsync(BenchContext context, string part, bool withWorker,
        IReadOnlyDictionary<string, string>? workerSettings = null)
    {
        var system = new SystemUnderTest(context, part);
        system._registrations.Add(context.OnCleanup($"redis keys {system.Prefix}*", async () => await RedisTools.DeletePrefixAsync(system.Prefix)));
        system.Parts = WorkerParts.Build(context, system.Prefix, workerSettings?.ToDictionary(s => s.Key, s => (string?)s.Value));
        await system.Parts.Tokens.SaveAsync(new TokenRecord
        {
            Id = system.OwnerId, Name = "benchmark", Scopes = ["services:read", "services:write", "images:build"],
            Sha256 = Convert.ToHexString(TokenStore.Hash(system.Token)), CreatedAt = DateTimeOffset.UtcNow,
        });

        var port = FreePort();
        system.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var settings = context.Settings(system.Prefix);
        var api = settings.ToEnvironment();
        api["Urls"] = system.BaseAddress.ToString().TrimEnd('/');
        api["RateLimits__RequestsPerSecond"] = "1000000";
        api["RateLimits__Burst"] = "1000000";
        foreach (var (key, value) in context.Options.ApiEnvironment)
            api[key] = value;
        system.Api = ServiceProcess.Start(context, "Messaging.Api", $"{part}-api", api);
        if (withWorker)
        {
            var worker = settings.ToEnvironment();
            foreach (var (key, value) in workerSettings ?? new Dictionary<string, string>())
                worker[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            foreach (var (key, value) in context.Options.WorkerEnvironment)
                worker[key] = value;
            File.Delete(settings.HealthFile!);
            system.Worker = ServiceProcess.Start(context, "Messaging.Worker", $"{part}-worker", worker);
        }

        system.Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = system.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        system.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", system.Token);

        await system.Api.WaitUntilAsync(async () =>
            (await system.Http.GetAsync("/health/ready", context.Cancel)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(90), context.Cancel);
        if (system.Worker is not null)
        {
            var healthFile = settings.HealthFile!;
            await system.Worker.WaitUntilAsync(async () =>
                File.Exists(healthFile) && (await File.ReadAllTextAsync(healthFile)).Trim() == "Healthy", TimeSpan.FromSeconds(90), context.Cancel);
        }
        BenchContext.Log($"system '{part}' ready at {system.BaseAddress} (prefix {system.Prefix})");
        return system;
    }

    /// <summary>The JSON body of a create request, as a client sends it.</summary>
    public static string CreateBody(string name, string memory, double cpus) =>
        $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"{{memory}}","cpu_limit":{{cpus.ToString(CultureInfo.InvariantCulture)}}}""";

    /// <summary>POST /api/v1/services; the service id from the 202 and the time it took (ms).</summary>
    public async Task<(Guid ServiceId, double AcceptMs)> PostCreateAsync(string name, string memory, double cpus, CancellationToken cancel,
        string? env = null)
    {
        var started = Clock.Now;
        var request = CreateBody(name, memory, cpus);
        if (env is not null) // an environment variable: such a request never takes a warm pool member (issue 20)
            request = request.TrimEnd('}') + ",\"env\":{\"BENCH\":\"" + env + "\"}}";
        using var content = new StringContent(request, Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync("/api/v1/services", content, cancel);
        var elapsed = Clock.MsSince(started);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancel);
        return (body.GetProperty("service_id").GetGuid(), elapsed);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Worker is not null)
            await Worker.DisposeAsync();
        await Api.DisposeAsync();
        Parts?.Dispose();
        await RedisTools.DeletePrefixAsync(Prefix);
        var healthFile = _context.Settings(Prefix).HealthFile!;
        File.Delete(healthFile);
        File.Delete(healthFile + ".tmp");
        foreach (var registration in _registrations)
            registration.Dispose();
    }
}
