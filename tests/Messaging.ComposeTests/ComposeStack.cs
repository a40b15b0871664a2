using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Testing;

namespace Messaging.ComposeTests;

/// <summary>
/// The compose stack of one run: fresh passwords from <c>infra/compose-secrets.sh</c> in a folder of the run's
/// own, an env file made from <c>.env.example</c> with test values (a random token, that folder, free host ports for the API, AMQP and the management UI, a block of service ports
/// away from the host suites' ranges, the socket's real group, <c>MESSAGING_INSTANCE=compose-test</c>), then
/// <c>config -q</c>, <c>up -d --build</c> and the wait until every service is healthy. Start-up never throws:
/// each step's outcome is kept for its own test, so one broken step shows as the failures it causes.
/// Disposal always runs <c>down -v</c> and removes the service containers labelled with the instance.
/// </summary>
/// <remarks>
/// Environment: <c>COMPOSE_TEST_PROJECT</c> (default messaging-compose-test), <c>COMPOSE_TEST_COMPOSE</c> (the
/// compose command; default <c>docker compose</c> when it works, else <c>docker-compose</c>),
/// <c>COMPOSE_TEST_NUGET_SOURCE</c> (default /nuget-feed; empty restores from nuget.org),
/// <c>COMPOSE_TEST_TIMEOUT</c> (seconds to wait for healthy services, default 240), <c>COMPOSE_TEST_KEEP=1</c>
/// (leave the stack running), <c>MESSAGING_COMPOSE_LOGS</c> (default /tmp/messaging-compose).
/// </remarks>
public sealed class ComposeStack : IAsyncLifetime
{
    public const string Instance = "compose-test";
    public const string ProxyNetwork = "proxy_network";
    public const string ExpectedPage = "messaging test image nginx:alpine";
    public const string Socket = "/var/run/docker.sock";
    /// <summary>The operator's broker user (RABBITMQ_ADMIN_USER): the management UI's, no process's.</summary>
    public const string RabbitUser = "compose-test";

    /// <summary>The broker and Redis user of each process, as docker-compose.yml names them.</summary>
    public static string ProcessUser(string service) => $"messaging-{service}";

    /// <summary>Every service of docker-compose.yml.</summary>
    public static readonly string[] Services = ["rabbitmq", "redis", "api", "worker", "audit", "edge-proxy", "edge"];

    /// <summary>EDGE_BASE_DOMAIN of the run: services answer at https://&lt;name&gt;.EdgeDomain (resolved by the tests to 127.0.0.1).</summary>
    public const string EdgeDomain = "compose.test";

    /// <summary>Those built from a Dockerfile.&lt;name&gt;.</summary>
    private static readonly string[] AppServices = ["api", "worker", "audit", "edge"];

    private readonly HashSet<int> _picked = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string[] _compose = [];

    public ComposeStack()
    {
        Directory.CreateDirectory(LogDirectory);
        EnvFile = Path.Combine(LogDirectory, "compose-test.env");
        ApiPort = FreePort();
        AmqpPort = FreePort();
        ManagementPort = FreePort();
        EdgeHttpPort = FreePort();
        EdgeHttpsPort = FreePort();
        PortsMin = 45000 + Random.Shared.Next(40) * 100; // a block of 100 away from the host suites' 11000-20000
        PortsMax = PortsMin + 99;
        Token = RandomNumberGenerator.GetHexString(48, lowercase: true);
        SecretsDirectory = Path.Combine(LogDirectory, "secrets");
    }

    public string Project { get; } = Setting("COMPOSE_TEST_PROJECT") ?? "messaging-compose-test";
    public string LogDirectory { get; } = Setting("MESSAGING_COMPOSE_LOGS") ?? "/tmp/messaging-compose";
    public string NugetSource { get; } = Environment.GetEnvironmentVariable("COMPOSE_TEST_NUGET_SOURCE") ?? "/nuget-feed";
    public TimeSpan HealthTimeout { get; } = TimeSpan.FromSeconds(int.Parse(Setting("COMPOSE_TEST_TIMEOUT") ?? "240"));
    public bool Keep { get; } = Setting("COMPOSE_TEST_KEEP") == "1";
    public string EnvFile { get; }
    public int ApiPort { get; }
    public int AmqpPort { get; }
    public int ManagementPort { get; }
    /// <summary>Where Caddy (edge-proxy, in the host's network namespace) listens, on 127.0.0.1.</summary>
    public int EdgeHttpPort { get; }
    public int EdgeHttpsPort { get; }
    public int PortsMin { get; }
    public int PortsMax { get; }
    public string Token { get; }

    /// <summary>SECRETS_DIR of the run: the passwords infra/compose-secrets.sh made.</summary>
    public string SecretsDirectory { get; }

    /// <summary>The first line of a secret file, e.g. <c>rabbitmq-admin-password</c>.</summary>
    public string Secret(string name) => File.ReadLines(Path.Combine(SecretsDirectory, name)).First();

    public string RabbitPassword => Secret("rabbitmq-admin-password");
    /// <summary>The socket's group: the worker gets it as a supplementary group.</summary>
    public int DockerGroup { get; private set; }
    public DockerClient Docker { get; } = TestEnvironment.DockerClient();

    /// <summary>The env file's values the tests need (image names, among others).</summary>
    public Dictionary<string, string> EnvValues { get; } = [];

    public StepOutcome Config { get; private set; } = StepOutcome.NotRun;
    public StepOutcome Up { get; private set; } = StepOutcome.NotRun;

    /// <summary>Per service: healthy (and how long after <c>up</c> returned) or its last state.</summary>
    public Dictionary<string, StepOutcome> Health { get; } = Services.ToDictionary(s => s, _ => StepOutcome.NotRun);

    /// <summary>Container id per service, once up.</summary>
    public Dictionary<string, string> Containers { get; } = [];

    public bool IsHealthy => Health.Values.All(h => h.Succeeded);

    /// <summary>A client of the API on its published port, with the bootstrap token unless told otherwise.</summary>
    public HttpClient Api(bool withToken = true)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ApiPort}"), Timeout = TimeSpan.FromSeconds(20) };
        if (withToken)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    /// <summary>Fails the calling test with the reason when the stack never became healthy.</summary>
    public void RequireHealthy() =>
        Assert.True(IsHealthy, "The stack is not up, nothing to check: " +
            string.Join("; ", Health.Where(h => !h.Value.Succeeded).Select(h => $"{h.Key}: {h.Value.Detail}")));

    public string ContainerOf(string service)
    {
        RequireHealthy();
        return Containers[service];
    }

    public async Task InitializeAsync()
    {
        _compose = await ComposeCommandAsync();
        DockerGroup = int.Parse((await Commands.RunAsync("stat", ["-c", "%g", Socket], TimeSpan.FromSeconds(10))).Text);
        WriteEnvFile();
        await RemoveLeftoversAsync();

        // A new volume each run, so new passwords each run: the old folder goes first.
        if (Directory.Exists(SecretsDirectory))
            Directory.Delete(SecretsDirectory, recursive: true);
        var secrets = await Commands.RunAsync("bash", [Path.Combine(TestPaths.SolutionDirectory, "infra", "compose-secrets.sh")],
            TimeSpan.FromMinutes(1), new Dictionary<string, string?> { ["SECRETS_DIR"] = SecretsDirectory, ["MESSAGING_TOKEN"] = Token });
        var config = secrets.Succeeded ? await ComposeAsync(["config", "-q"], TimeSpan.FromMinutes(1)) : secrets;
        Config = config.Succeeded
            ? StepOutcome.Passed($"accepted by {string.Join(' ', _compose)}")
            : StepOutcome.Failed(secrets.Succeeded
                ? $"rejected by {string.Join(' ', _compose)} config: {config.Text}"
                : $"infra/compose-secrets.sh failed: {secrets.Text}");
        if (!Config.Succeeded)
            return;

        var before = await BuildImagesAsync();
        var started = _clock.Elapsed;
        var up = await ComposeAsync(["up", "-d", "--build"], TimeSpan.FromMinutes(20), "compose-test-up.log");
        Up = up.Succeeded
            ? StepOutcome.Passed($"in {(_clock.Elapsed - started).TotalSeconds:F1} s")
            : StepOutcome.Failed($"failed (log {LogDirectory}/compose-test-up.log): {Tail(up.Text, 40)}");
        if (!Up.Succeeded)
            return;
        await DropSupersededImagesAsync(before);
        await WaitHealthyAsync();
    }

    public async Task DisposeAsync()
    {
        if (Keep)
        {
            await File.AppendAllTextAsync(Path.Combine(LogDirectory, "compose-test-keep.txt"),
                $"left running; tear down with: {string.Join(' ', _compose)} --env-file {EnvFile} -p {Project} -f {ComposeFile} down -v\n");
            return;
        }
        await ComposeAsync(["down", "-v", "--remove-orphans", "-t", "10"], TimeSpan.FromMinutes(3), "compose-test-down.log");
        await SystemCleanup.RemoveContainersAsync(Docker, Instance);
        File.Delete(EnvFile);
        if (Directory.Exists(SecretsDirectory))
            Directory.Delete(SecretsDirectory, recursive: true);
        var left = (await ProjectContainersAsync()).Count + (await SystemCleanup.ContainersAsync(Docker, Instance)).Count;
        Docker.Dispose();
        if (left > 0)
            throw new InvalidOperationException($"{left} container(s) of project {Project} or instance {Instance} left after the clean-up.");
    }

    private static string ComposeFile => Path.Combine(TestPaths.SolutionDirectory, "docker-compose.yml");

    /// <summary>
    /// After a test replaced the stack's containers (infra/restore.sh): forgets the old container ids and waits until
    /// every service is healthy again, so that the tests after it find the new ones.
    /// </summary>
    public async Task WaitHealthyAgainAsync()
    {
        Containers.Clear();
        foreach (var service in Services)
            Health[service] = StepOutcome.NotRun;
        await WaitHealthyAsync();
    }

    /// <summary>
    /// An operator's script of infra/ (backup.sh, restore.sh) on this stack: <c>-p</c> and <c>--env-file</c> of the run,
    /// the compose command and file through <c>COMPOSE</c> and <c>COMPOSE_FILE</c>, the environment cleaned as for compose.
    /// </summary>
    public Task<CommandResult> RunInfraScriptAsync(string script, IEnumerable<string> arguments, TimeSpan timeout, string logName)
    {
        var environment = EnvValues.Keys.ToDictionary(key => key, string? (_) => null);
        environment["DOCKER_HOST"] = $"unix://{Socket}";
        environment["COMPOSE"] = string.Join(' ', _compose);
        environment["COMPOSE_FILE"] = ComposeFile;
        return Commands.RunAsync("bash", [Path.Combine(TestPaths.SolutionDirectory, "infra", script), "-p", Project, "--env-file", EnvFile, .. arguments],
            timeout, environment, Path.Combine(LogDirectory, logName));
    }

    /// <summary><c>COMPOSE_TEST_COMPOSE</c>, else <c>docker compose</c> when the CLI has it, else <c>docker-compose</c>.</summary>
    private static async Task<string[]> ComposeCommandAsync()
    {
        if (Setting("COMPOSE_TEST_COMPOSE") is { } configured)
            return configured.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var plugin = await Commands.RunAsync(Commands.DockerCli, ["compose", "version"], TimeSpan.FromSeconds(30));
        return plugin.Succeeded ? [Commands.DockerCli, "compose"] : ["docker-compose"];
    }

    public Task<CommandResult> ComposeAsync(IEnumerable<string> arguments, TimeSpan timeout, string? logName = null) =>
        ComposeAsync(arguments, timeout, logName, overrides: null);

    /// <summary>
    /// The compose tool with the env file, plus <paramref name="overrides"/> exported as an operator's shell would
    /// (the shell wins over the env file), e.g. <c>MESSAGING_VERSION</c> for a new build.
    /// </summary>
    public Task<CommandResult> ComposeAsync(IEnumerable<string> arguments, TimeSpan timeout, string? logName,
        IReadOnlyDictionary<string, string>? overrides)
    {
        // The env file decides, not whatever the calling shell exports (the shell would win over it).
        var environment = EnvValues.Keys.ToDictionary(key => key, string? (_) => null);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
            environment[key] = value;
        environment["DOCKER_HOST"] = $"unix://{Socket}";
        environment["DOCKER_BUILDKIT"] = "0"; // the classic builder: BuildKit/buildx is not available offline here
        environment["COMPOSE_DOCKER_CLI_BUILD"] = Setting("COMPOSE_DOCKER_CLI_BUILD") ?? "0";
        return Commands.RunAsync(_compose[0], [.. _compose[1..], "--env-file", EnvFile, "-p", Project, "-f", ComposeFile, .. arguments],
            timeout, environment, logName is null ? null : Path.Combine(LogDirectory, logName));
    }

    private void WriteEnvFile()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.SolutionDirectory, ".env.example")).ToList();
        foreach (var line in lines.Where(l => l.Length > 0 && l[0] != '#' && l.Contains('=')))
            EnvValues[line[..line.IndexOf('=')]] = line[(line.IndexOf('=') + 1)..];
        var values = new Dictionary<string, string>
        {
            ["COMPOSE_PROJECT_NAME"] = Project,
            ["API_BIND"] = "127.0.0.1",
            ["API_PORT"] = ApiPort.ToString(),
            ["DOCKER_GID"] = DockerGroup.ToString(),
            ["DOCKER_SOCKET"] = Socket,
            ["DOCKER_HOST"] = $"unix://{Socket}",
            ["PUBLISH_ADDRESS"] = "127.0.0.1",
            ["PORTS_MIN"] = PortsMin.ToString(),
            ["PORTS_MAX"] = PortsMax.ToString(),
            ["MESSAGING_INSTANCE"] = Instance,
            ["PULL_MISSING_IMAGES"] = "false",
            ["SECRETS_DIR"] = SecretsDirectory,
            ["RABBITMQ_ADMIN_USER"] = RabbitUser,
            ["RABBITMQ_BIND"] = "127.0.0.1",
            ["RABBITMQ_PORT"] = AmqpPort.ToString(),
            ["RABBITMQ_MANAGEMENT_PORT"] = ManagementPort.ToString(),
            ["NUGET_SOURCE"] = NugetSource,
            ["NUGET_CERT_REVOCATION_MODE"] = "offline",
            ["EDGE_BASE_DOMAIN"] = EdgeDomain,
            ["EDGE_BIND"] = "127.0.0.1",
            ["EDGE_HTTP_PORT"] = EdgeHttpPort.ToString(),
            ["EDGE_HTTPS_PORT"] = EdgeHttpsPort.ToString(),
            // No CA is reachable from here: Caddy's own CA, whose root the tests read from its storage.
            ["EDGE_TLS_MODE"] = "internal",
        };
        foreach (var (key, value) in values)
        {
            var index = lines.FindIndex(l => l.StartsWith(key + "=", StringComparison.Ordinal));
            if (index >= 0)
                lines[index] = $"{key}={value}";
            else
                lines.Add($"{key}={value}");
            EnvValues[key] = value;
        }
        File.WriteAllText(EnvFile, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(EnvFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // it holds the token
        File.WriteAllLines(EnvFile, lines);
    }

    /// <summary>Leftovers of an interrupted earlier run.</summary>
    private async Task RemoveLeftoversAsync()
    {
        await ComposeAsync(["down", "-v", "--remove-orphans", "-t", "5"], TimeSpan.FromMinutes(3), "compose-test-down.log");
        await SystemCleanup.RemoveContainersAsync(Docker, Instance);
    }

    private async Task WaitHealthyAsync()
    {
        var started = _clock.Elapsed;
        var deadline = started + HealthTimeout;
        while (true)
        {
            foreach (var service in Services.Where(s => !Health[s].Succeeded))
            {
                var state = await StateOfAsync(service);
                Health[service] = state == "healthy"
                    ? StepOutcome.Passed($"healthy {(_clock.Elapsed - started).TotalSeconds:F1} s after up returned")
                    : StepOutcome.Failed($"not healthy within {HealthTimeout.TotalSeconds:F0} s (state: {state})");
            }
            if (IsHealthy || _clock.Elapsed > deadline)
                return;
            await Task.Delay(2000);
        }
    }

    /// <summary>
    /// Waits until the service's (current) container is healthy, e.g. after <c>up -d --no-deps</c> replaced it; true
    /// when it is. <see cref="Containers"/> then names the new container.
    /// </summary>
    public async Task<bool> WaitServiceHealthyAsync(string service, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (true)
        {
            var state = await StateOfAsync(service);
            if (state == "healthy")
                return true;
            if (_clock.Elapsed > deadline)
                return false;
            await Task.Delay(1000);
        }
    }

    /// <summary>healthy / unhealthy / starting, running (no health check), or the container's status; missing.</summary>
    private async Task<string> StateOfAsync(string service)
    {
        // The newest: while compose replaces a container, the old one (renamed) and the new one both carry the labels.
        var container = (await ProjectContainersAsync(service)).OrderByDescending(c => c.Created).FirstOrDefault();
        if (container is null)
            return "missing";
        Containers[service] = container.ID;
        var inspect = await Docker.Containers.InspectContainerAsync(container.ID);
        return inspect.State is { Running: true } state ? state.Health?.Status ?? "running" : inspect.State?.Status ?? "unknown";
    }

    private Task<IList<ContainerListResponse>> ProjectContainersAsync(string? service = null)
    {
        var labels = new Dictionary<string, bool> { [$"com.docker.compose.project={Project}"] = true };
        if (service is not null)
            labels[$"com.docker.compose.service={service}"] = true;
        return Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true, Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels },
        });
    }

    // The classic builder keeps every build as untagged images (~1 GB for a build stage). Images that this
    // run's build supersedes are dropped after it: build-stage tips of an older build when this one made new
    // ones, and the previous api/worker/audit images that lost their tag.
    private async Task<Dictionary<string, (HashSet<string> Stages, HashSet<string> Finals)>> BuildImagesAsync()
    {
        var before = new Dictionary<string, (HashSet<string>, HashSet<string>)>();
        foreach (var service in AppServices)
            before[service] = (await DanglingAsync($"messaging.build-stage={service}"), await DanglingAsync($"org.opencontainers.image.title=messaging-{service}"));
        return before;
    }

    private async Task DropSupersededImagesAsync(Dictionary<string, (HashSet<string> Stages, HashSet<string> Finals)> before)
    {
        var drop = new List<string>();
        foreach (var service in AppServices)
        {
            var stages = await DanglingAsync($"messaging.build-stage={service}");
            if (stages.Except(before[service].Stages).Any())
                drop.AddRange(before[service].Stages);
            drop.AddRange((await DanglingAsync($"org.opencontainers.image.title=messaging-{service}")).Except(before[service].Finals));
        }
        foreach (var image in drop)
        {
            try
            {
                await Docker.Images.DeleteImageAsync(image, new ImageDeleteParameters());
            }
            catch (DockerApiException)
            {
                // Still in use by something else: it stays, as the shell version left it.
            }
        }
    }

    private async Task<HashSet<string>> DanglingAsync(string label) =>
        (await Docker.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["dangling"] = new Dictionary<string, bool> { ["true"] = true },
                ["label"] = new Dictionary<string, bool> { [label] = true },
            },
        })).Select(i => i.ID).ToHashSet();

    /// <summary>A port in 30000-44999 nobody listens on and not picked before.</summary>
    private int FreePort()
    {
        var used = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Select(e => e.Port).ToHashSet();
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = 30000 + Random.Shared.Next(15000);
            if (!used.Contains(port) && _picked.Add(port))
                return port;
        }
        throw new InvalidOperationException("No free port in 30000-44999.");
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    private static string? Setting(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}

/// <summary>How one step of the bring-up ended, for the test that reports it.</summary>
public sealed record StepOutcome(bool Succeeded, string Detail)
{
    public static readonly StepOutcome NotRun = new(false, "not run: an earlier step failed");
    public static StepOutcome Passed(string detail) => new(true, detail);
    public static StepOutcome Failed(string detail) => new(false, detail);
}

[CollectionDefinition(Name)]
public sealed class ComposeCollection : ICollectionFixture<ComposeStack>
{
    public const string Name = "compose";
}
