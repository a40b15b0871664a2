using Docker.DotNet;

namespace Messaging.Testing;

/// <summary>
/// Where the tests find the shared services: one environment variable each, defaulting to what
/// <c>infra/services-up.sh</c> starts on this machine. Every test project and the benchmarks read them
/// here, so pointing the suite at other services is a matter of the environment, not of the code.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>MESSAGING_TEST_REDIS</c></term><description>a StackExchange.Redis configuration; default <c>localhost:6379</c></description></item>
/// <item><term><c>MESSAGING_TEST_RABBITMQ</c></term><description>an AMQP URI; default <c>amqp://guest:guest@localhost:5672</c></description></item>
/// <item><term><c>MESSAGING_TEST_DOCKER</c></term><description>the engine's endpoint; default <c>DOCKER_HOST</c>, else <c>unix:///var/run/docker.sock</c></description></item>
/// <item><term><c>MESSAGING_TEST_CADDY_ADMIN</c></term><description>Caddy's admin endpoint (the edge tests); default <c>unix:/tmp/messaging-infra/caddy/admin.sock</c> (<c>infra/caddy-up.sh</c>)</description></item>
/// <item><term><c>MESSAGING_TEST_PEBBLE</c></term><description>the ACME test CA's state folder (its TLS pair); default <c>/tmp/messaging-infra/pebble</c>, directory <c>https://127.0.0.1:8400/dir</c>, roots <c>https://127.0.0.1:8401/roots/0</c></description></item>
/// </list>
/// Tests that need one of them say so with <c>[Trait("Requires", "Redis")]</c>, <c>"RabbitMq"</c> or
/// <c>"Docker"</c>, so that <c>dotnet test --filter Requires!=Docker</c> runs the rest on a machine without it.
/// </remarks>
public static class TestEnvironment
{
    /// <summary>The Engine API version the tests speak (Docker 20.10 and newer), as the worker's default.</summary>
    public static readonly Version DockerApiVersion = new(1, 41);

    public static string Redis { get; } = Read("MESSAGING_TEST_REDIS") ?? "localhost:6379";

    public static RabbitMqEndpoint RabbitMq { get; } =
        RabbitMqEndpoint.Parse(Read("MESSAGING_TEST_RABBITMQ") ?? "amqp://guest:guest@localhost:5672");

    public static string DockerEndpoint { get; } =
        Read("MESSAGING_TEST_DOCKER") ?? Read("DOCKER_HOST") ?? "unix:///var/run/docker.sock";

    /// <summary>Caddy's admin endpoint, as <c>Edge:AdminEndpoint</c> takes it.</summary>
    public static string CaddyAdmin { get; } = Read("MESSAGING_TEST_CADDY_ADMIN") ?? "unix:/tmp/messaging-infra/caddy/admin.sock";

    /// <summary>The ACME test CA (pebble) started by <c>infra/services-up.sh</c>.</summary>
    public static PebbleEndpoint Pebble { get; } = new(Read("MESSAGING_TEST_PEBBLE") ?? "/tmp/messaging-infra/pebble");

    /// <summary>A client of the engine at <paramref name="endpoint"/>, by default <see cref="DockerEndpoint"/>.</summary>
    public static DockerClient DockerClient(string? endpoint = null) =>
        new DockerClientBuilder().WithEndpoint(new Uri(endpoint ?? DockerEndpoint)).WithApiVersion(DockerApiVersion).Build();

    /// <summary>
    /// The settings that point a host of ours (API, worker, audit) at these services, keyed as in its
    /// appsettings.json; <see cref="SystemSettings"/> adds the rest of a run's settings.
    /// </summary>
    public static Dictionary<string, string?> ServiceSettings() => new()
    {
        ["Redis:Configuration"] = Redis,
        ["RabbitMq:Host"] = RabbitMq.Host,
        ["RabbitMq:Port"] = RabbitMq.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq:User"] = RabbitMq.Username,
        ["RabbitMq:Pass"] = RabbitMq.Password,
        ["Docker:Endpoint"] = DockerEndpoint,
    };

    private static string? Read(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}

/// <summary>The broker the tests use: host, AMQP port and the user they connect as.</summary>
public sealed record RabbitMqEndpoint(string Host, int Port, string Username, string Password)
{
    public static RabbitMqEndpoint Parse(string uri)
    {
        var parsed = new Uri(uri);
        var user = parsed.UserInfo.Split(':', 2);
        return new RabbitMqEndpoint(
            parsed.Host,
            parsed.IsDefaultPort || parsed.Port <= 0 ? 5672 : parsed.Port,
            user.Length > 0 && user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : "guest",
            user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "guest");
    }
}

/// <summary>
/// pebble as <c>infra/services-up.sh</c> runs it: its ACME directory, the file of its own HTTPS certificate (what Caddy
/// must trust to talk to it) and the URL of the root it issues from (what a client of the edge must trust).
/// </summary>
public sealed record PebbleEndpoint(string StateDirectory)
{
    public string Directory => "https://127.0.0.1:8400/dir";
    public string ServerCertificateFile => Path.Combine(StateDirectory, "tls.pem");
    public string IssuingRootUrl => "https://127.0.0.1:8401/roots/0";
}
