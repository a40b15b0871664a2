namespace Messaging.Worker.Containers;

/// <summary>
/// A container the worker wants, in the project's own terms: everything that differs from one service to
/// the next. What never differs (no privileges, no host namespaces, no mounts, every capability dropped
/// before <see cref="Capabilities"/> are added back, no new privileges) is not a choice and so has no field:
/// the engine adapter sets it on every container it creates.
/// </summary>
public sealed record ContainerSpec
{
    /// <summary>The container's name on the engine.</summary>
    public required string Name { get; init; }

    /// <summary>The approved image reference (a pinned digest included).</summary>
    public required string Image { get; init; }

    /// <summary>Our labels; see <see cref="ContainerLabels"/>.</summary>
    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    /// <summary>Replaces the image's entrypoint; null keeps it. Only a stack member whose entry sets AllowCommand has one.</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>Replaces the image's command; null keeps it. Only a stack member whose entry sets AllowCommand has one.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Environment variables as <c>NAME=value</c>.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>The one port published, and where; <see cref="PublishedPort.HostPort"/> 0 publishes none (a stack member reached only on its network).</summary>
    public required PublishedPort Port { get; init; }

    /// <summary>Memory limit; swap is never added on top.</summary>
    public required long MemoryBytes { get; init; }

    /// <summary>CPU limit in billionths of a CPU.</summary>
    public required long NanoCpus { get; init; }

    public required long PidsLimit { get; init; }

    /// <summary>The user the process runs as (<c>UID:GID</c>); empty runs the image's own user, root for most images.</summary>
    public required string User { get; init; }

    /// <summary>Capabilities added back after dropping all of them.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    public required bool ReadOnlyRootfs { get; init; }

    /// <summary>Writable in-memory mounts, each size-limited: path to mount options.</summary>
    public IReadOnlyDictionary<string, string> Tmpfs { get; init; } = new Dictionary<string, string>();

    /// <summary>The only network the container joins.</summary>
    public required string Network { get; init; }

    /// <summary>Names the container answers to on <see cref="Network"/> besides its own (a stack member's compose name).</summary>
    public IReadOnlyList<string> NetworkAliases { get; init; } = [];

    public required LogLimits Logs { get; init; }

    /// <summary>Swarm placement constraints (<c>node.labels.x==v</c>) from the allowlist entry; the containers path has one node.</summary>
    public IReadOnlyList<string> NodeConstraints { get; init; } = [];

    /// <summary>Docker's HEALTHCHECK for the container; null leaves the image's own (if any).</summary>
    public HealthProbe? Health { get; init; }
}

/// <summary>A HEALTHCHECK: the test as Docker takes it (<c>CMD ...</c> or <c>CMD-SHELL ...</c>) and its timing.</summary>
public sealed record HealthProbe(IReadOnlyList<string> Test, TimeSpan Interval, TimeSpan Timeout, int Retries, TimeSpan StartPeriod);

/// <summary>Container port <see cref="InternalPort"/> (tcp) published on <see cref="HostAddress"/>:<see cref="HostPort"/>.</summary>
public sealed record PublishedPort(int InternalPort, string HostAddress, int HostPort);

/// <summary>Bounded json-file logs, so a chatty service cannot fill the disk.</summary>
public sealed record LogLimits(string MaxSize, int MaxFiles);
