using System.Globalization;

namespace Messaging.Testing;

/// <summary>
/// The corner of the shared services one harness keeps to, and the settings every process of the system
/// (API, worker, audit; in-process host or child process) gets from it: the services of
/// <see cref="TestEnvironment"/>, the instance label its containers carry, the Redis key prefix, the host
/// port range, and optionally its own RabbitMQ virtual host, services network and worker health file.
/// The integration tests, the fault tests and the benchmarks each describe their corner with one of these,
/// so that what a host is told and what the clean-up removes (<see cref="SystemCleanup"/>) cannot drift.
/// </summary>
public sealed record SystemSettings
{
    /// <summary>Value of the <c>messaging.instance</c> label on every container the worker makes.</summary>
    public required string Instance { get; init; }

    /// <summary>Every Redis key of the run starts with it; <see cref="SystemCleanup.DeleteKeysAsync"/> removes them.</summary>
    public required string KeyPrefix { get; init; }

    public required int PortMin { get; init; }
    public required int PortMax { get; init; }

    /// <summary>A RabbitMQ virtual host of its own; null keeps the worker's default (<c>/</c>).</summary>
    public string? VHost { get; init; }

    /// <summary>A services network of its own; null keeps the worker's default.</summary>
    public string? Network { get; init; }

    /// <summary>Where the worker reports its readiness; null keeps the worker's default.</summary>
    public string? HealthFile { get; init; }

    /// <summary>The Redis it uses: the tests' one unless a harness brings its own (the fault tests do).</summary>
    public string Redis { get; init; } = TestEnvironment.Redis;

    /// <summary>The engine endpoint the worker talks to: the tests' one, or a proxy in front of it.</summary>
    public string DockerEndpoint { get; init; } = TestEnvironment.DockerEndpoint;

    /// <summary>
    /// What the worker may hand out over all services (<c>HostBudget:Memory</c>, <c>HostBudget:Cpus</c>). Left unset, the
    /// worker takes the engine's MemTotal and NCPU; the test runs put up to hundreds of small services on a 2-core
    /// machine (200 × 0.1 CPU), so they declare a larger budget; null keeps the engine's.
    /// </summary>
    public string? HostBudgetMemory { get; init; } = "256g";
    public double? HostBudgetCpus { get; init; } = 256;

    /// <summary>
    /// <c>RabbitMq:StalledBusExitAfter</c>: off by default here, because in-process hosts share the test process, which
    /// must never exit on their behalf (a test that takes a host's broker rights away would end the whole run); a
    /// harness of real processes passes null to keep the shipped behaviour (the fault tests do).
    /// </summary>
    public string? StalledBusExitAfter { get; init; } = "00:00:00";

    /// <summary>The settings as configuration keys (<c>Redis:KeyPrefix</c>), for an in-process host.</summary>
    public Dictionary<string, string?> ToConfiguration()
    {
        var settings = TestEnvironment.ServiceSettings();
        settings["Redis:Configuration"] = Redis;
        settings["Redis:KeyPrefix"] = KeyPrefix;
        settings["Docker:Endpoint"] = DockerEndpoint;
        settings["Docker:Instance"] = Instance;
        settings["Ports:Min"] = PortMin.ToString(CultureInfo.InvariantCulture);
        settings["Ports:Max"] = PortMax.ToString(CultureInfo.InvariantCulture);
        if (VHost is not null)
            settings["RabbitMq:VHost"] = VHost;
        if (Network is not null)
            settings["Docker:Network"] = Network;
        if (HealthFile is not null)
            settings["Health:File"] = HealthFile;
        if (StalledBusExitAfter is not null)
            settings["RabbitMq:StalledBusExitAfter"] = StalledBusExitAfter;
        if (HostBudgetMemory is not null)
            settings["HostBudget:Memory"] = HostBudgetMemory;
        if (HostBudgetCpus is { } cpus)
            settings["HostBudget:Cpus"] = cpus.ToString(CultureInfo.InvariantCulture);
        return settings;
    }

    /// <summary>The same settings as environment variables (<c>Redis__KeyPrefix</c>), for a child process.</summary>
    public Dictionary<string, string> ToEnvironment() => AsEnvironment(ToConfiguration());

    /// <summary>Configuration keys as .NET reads them from the environment (<c>:</c> becomes <c>__</c>).</summary>
    public static Dictionary<string, string> AsEnvironment(IEnumerable<KeyValuePair<string, string?>> configuration) =>
        configuration.Where(setting => setting.Value is not null)
            .ToDictionary(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal), setting => setting.Value!);
}
