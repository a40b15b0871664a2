namespace Messaging.Worker.Policy;

/// <summary>
/// One allowlist entry: an image users may run, with its caps, defaults and the hardening its containers get.
/// The hardening defaults are the strict ones (non-root, NET_BIND_SERVICE only, read-only root with a small
/// <c>/tmp</c>); an entry can loosen them only by saying so, and <see cref="ImagePolicyOptions.Problems"/> checks it.
/// </summary>
public sealed class AllowedImage
{
    /// <summary>Reference as users write it (<c>nginx:alpine</c>); may pin a digest (<c>...@sha256:...</c>).</summary>
    public string Image { get; set; } = "";

    /// <summary>Highest memory limit for this image (Docker units); the global cap when absent.</summary>
    public string? MaxMemory { get; set; }

    /// <summary>Highest CPU limit for this image; the global cap when absent.</summary>
    public double? MaxCpus { get; set; }

    /// <summary>
    /// Memory limit (Docker units) a request without one gets; <see cref="ImagePolicyOptions.DefaultMemory"/> when absent.
    /// Must be within this entry's caps, so a defaulted request is never refused for its default.
    /// </summary>
    public string? DefaultMemory { get; set; }

    /// <summary>CPU limit a request without one gets; <see cref="ImagePolicyOptions.DefaultCpus"/> when absent. Within the caps.</summary>
    public double? DefaultCpus { get; set; }

    /// <summary>
    /// Whether a stack member of this image may set <c>command</c> or <c>entrypoint</c> (off by default). One switch for
    /// both: in an image without an entrypoint (most, the nginx:alpine stand-in included) the command alone picks the
    /// program that runs, so permitting either is permitting any program of the image. The hardening stays the entry's.
    /// </summary>
    public bool AllowCommand { get; set; }

    /// <summary>Container port published when the request names none.</summary>
    public int InternalPort { get; set; } = 80;

    /// <summary>
    /// The user the container runs as, numeric <c>UID:GID</c>, neither 0 (<c>101:101</c>). Numeric because a name
    /// is resolved inside the image, where "nginx" could be uid 0; a GID because without one the engine picks the
    /// image's entry for the uid, or group 0 when the image has none. Required unless <see cref="RunAsRoot"/>.
    /// </summary>
    public string? User { get; set; }

    /// <summary>
    /// The operator's explicit choice to run the image's own user, which is root for most images (root on the host's
    /// kernel, as no user namespace is set). Without it an entry must name a non-root <see cref="User"/>.
    /// </summary>
    public bool RunAsRoot { get; set; }

    /// <summary>
    /// Capabilities added back after dropping ALL; <see cref="CapabilityRules.Default"/> when unset. Anything beyond
    /// NET_BIND_SERVICE must also be in <see cref="ImagePolicyOptions.AllowedCapabilities"/>.
    /// </summary>
    /// <remarks>
    /// Null rather than a default list: the configuration binder appends configured items to a list it finds
    /// already filled, so a default in the initializer could never be replaced, only added to.
    /// </remarks>
    public List<string>? Capabilities { get; set; }

    /// <summary>
    /// Swarm only: node labels a node must carry to run this image (<c>gpu: "true"</c> places it only on nodes the operator
    /// labelled <c>node.labels.gpu==true</c>). The containers path has one node and ignores it.
    /// </summary>
    public Dictionary<string, string> RequiredNodeLabels { get; set; } = [];

    /// <summary>Run with a read-only root file system (on by default; writable paths come from <see cref="Tmpfs"/>).</summary>
    public bool ReadOnlyRootfs { get; set; } = true;

    /// <summary>Paths mounted as size-limited tmpfs; <see cref="DefaultTmpfs"/> when unset (null for the reason above).</summary>
    public List<string>? Tmpfs { get; set; }

    /// <summary>Size of each tmpfs mount (Docker units). Its pages also count against the container's memory limit.</summary>
    public string TmpfsSize { get; set; } = "64m";

    /// <summary>The health check its containers get as Docker's HEALTHCHECK; none (the image's own, if any) when null.</summary>
    public ServiceHealthCheck? HealthCheck { get; set; }

    /// <summary>What the supervisor does when one of its containers exits or turns unhealthy, unless the request says otherwise.</summary>
    public RestartDefaults Supervision { get; set; } = new();

    /// <summary>The tmpfs paths of an entry that names none.</summary>
    public static IReadOnlyList<string> DefaultTmpfs { get; } = ["/tmp"];

    /// <summary>The capabilities this entry's containers get back: its own list, or the default.</summary>
    public IReadOnlyList<string> GrantedCapabilities() =>
        Capabilities is null ? CapabilityRules.Default : [.. Capabilities.Select(CapabilityRules.Normalize)];

    /// <summary>The tmpfs paths this entry's containers get: its own list, or the default.</summary>
    public IReadOnlyList<string> TmpfsPaths() => Tmpfs ?? DefaultTmpfs;

    /// <summary>The user the engine is told to run: the entry's, or empty (the image's own) for a <see cref="RunAsRoot"/> entry.</summary>
    /// <exception cref="InvalidOperationException">The entry names neither; start-up validation refuses such an entry,
    /// and should it be bypassed, no container is made rather than one running as the image's root.</exception>
    public string ContainerUser() =>
        RunAsRoot ? "" : User ?? throw new InvalidOperationException($"Allowlist entry '{Image}' names no User and does not set RunAsRoot.");
}
