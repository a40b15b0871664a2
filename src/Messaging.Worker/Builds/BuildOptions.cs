using System.Text.RegularExpressions;
using Messaging.Validation;
using Messaging.Worker.Policy;

namespace Messaging.Worker.Builds;

/// <summary>
/// Builds from the operator's named contexts (issue 17). Section <c>Builds</c>. A request names a context; everything
/// else (directory, Dockerfile, which arguments, the limits, what the image may do when it runs) is configured here.
/// </summary>
public sealed class BuildOptions
{
    public const string Section = "Builds";

    /// <summary>
    /// First path components of every built image's repository: images are tagged
    /// <c>{Namespace}/{Docker:Instance}/{context}:{hash}</c>, so they cannot collide with a pulled image or another installation's.
    /// </summary>
    public string Namespace { get; set; } = "messaging-builds";

    /// <summary>Builds one worker runs at once; the others wait in its queue (the record shows their position).</summary>
    public int MaxConcurrentBuilds { get; set; } = 1;

    /// <summary>Build commands one worker takes from the broker at once (running and queued); more wait in the broker.</summary>
    public int MaxQueuedBuilds { get; set; } = 16;

    /// <summary>
    /// A build record still <c>pending</c> and unconfirmed (the API's publish of its command timed out) this long after
    /// it was written, and never taken by a worker, is failed with <c>not_delivered</c> (<see cref="UndeliveredBuilds"/>).
    /// Longer than services' (<c>Reconciler:UnconfirmedPendingExpiry</c>): a build command the broker did take may wait
    /// in the queue behind long builds. A worker taking it after that finds it failed and builds nothing.
    /// </summary>
    public TimeSpan UnconfirmedPendingExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often a worker looks for such records.</summary>
    public TimeSpan PendingSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The engine's build cache is pruned to this size after every build (<c>POST /build/prune?keep-storage=</c>,
    /// <see cref="EngineBuildCache"/>); empty turns that off.
    /// </summary>
    public string CacheKeepStorage { get; set; } = "2g";

    /// <summary>The only contexts builds may use.</summary>
    public List<BuildContextOptions> Contexts { get; set; } = [];

    /// <summary>The context of that name, or null.</summary>
    public BuildContextOptions? Find(string name) => Contexts.FirstOrDefault(c => c.Name == name);

    /// <summary>Problems that make this configuration unusable; empty when it is sound.</summary>
    public IEnumerable<string> Problems(ImagePolicyOptions policy)
    {
        if (!ImageReference.TryParse(Namespace + "/x/y:z", out _) || Namespace.Contains(':') || Namespace.Contains('.'))
            yield return $"Builds:Namespace '{Namespace}' must be lower-case path components (a-z, 0-9, '-', '_', '/'), with no registry host.";
        if (MaxConcurrentBuilds is < 1 or > 16)
            yield return "Builds:MaxConcurrentBuilds must be 1-16.";
        if (MaxQueuedBuilds < MaxConcurrentBuilds || MaxQueuedBuilds > 256)
            yield return "Builds:MaxQueuedBuilds must be at least MaxConcurrentBuilds and at most 256.";
        if (UnconfirmedPendingExpiry < TimeSpan.FromSeconds(1) || PendingSweepInterval < TimeSpan.FromMilliseconds(100))
            yield return "Builds:UnconfirmedPendingExpiry must be at least 1 s and Builds:PendingSweepInterval at least 100 ms.";
        if (!string.IsNullOrEmpty(CacheKeepStorage) && !MemorySize.TryParse(CacheKeepStorage, out _))
            yield return $"Builds:CacheKeepStorage '{CacheKeepStorage}' is not a size (e.g. 2g), nor empty (off).";
        foreach (var group in Contexts.GroupBy(c => c.Name).Where(g => g.Count() > 1))
            yield return $"Builds:Contexts: '{group.Key}' is configured {group.Count()} times.";
        foreach (var context in Contexts)
            foreach (var problem in context.Problems(policy, Namespace))
                yield return problem;
    }
}

/// <summary>One build context: a directory on the worker's host and what a build of it may do.</summary>
public sealed partial class BuildContextOptions
{
    /// <summary>What requests name (<see cref="BuildRules.ContextNamePattern"/>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The directory packed and sent as the build context; relative paths are from the worker's content root.</summary>
    public string Directory { get; set; } = "";

    /// <summary>The Dockerfile, relative to <see cref="Directory"/>.</summary>
    public string Dockerfile { get; set; } = "Dockerfile";

    /// <summary>The build arguments a request may set; any other is refused.</summary>
    public List<BuildArgRule> Args { get; set; } = [];

    /// <summary>
    /// <c>networkmode</c> of every RUN step: <c>none</c> (the default: a Dockerfile cannot fetch anything) or, where the
    /// operator allows downloads, <c>default</c>/<c>bridge</c>. <c>host</c> and container networks are refused.
    /// </summary>
    public string NetworkMode { get; set; } = "none";

    /// <summary>Memory limit of each build step's container (swap included: none on top).</summary>
    public string Memory { get; set; } = "512m";

    /// <summary>CPU quota of each build step's container, in cores.</summary>
    public double Cpus { get; set; } = 1;

    /// <summary>The longest a build may run (waiting in the queue not counted) before it is stopped.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The largest context (sum of the files sent, after .dockerignore) accepted.</summary>
    public string MaxContextSize { get; set; } = "16m";

    /// <summary>The most build log a build may write; past it the build is stopped (<c>log_limit_exceeded</c>).</summary>
    public string MaxLogSize { get; set; } = "1m";

    /// <summary>Images of this context kept on the engine; older ones are removed after each successful build.</summary>
    public int KeepImages { get; set; } = 3;

    /// <summary>
    /// How the built images run, as an allowlist entry does (caps, defaults, port, user, capabilities, tmpfs, health,
    /// supervision); its <c>Image</c> is ignored (it is each build's tag). Requires a <c>User</c> or <c>RunAsRoot</c>.
    /// </summary>
    public AllowedImage Run { get; set; } = new();

    public IEnumerable<string> Problems(ImagePolicyOptions policy, string ns)
    {
        var at = $"Builds:Contexts '{Name}'";
        if (!BuildRules.ContextNamePattern().IsMatch(Name))
            yield return $"Builds:Contexts: '{Name}' is not a context name (2-63 characters of a-z, 0-9 and '-').";
        if (string.IsNullOrWhiteSpace(Directory))
            yield return $"{at}: Directory is required.";
        if (Path.IsPathRooted(Dockerfile) || Dockerfile.Split('/', '\\').Contains("..") || Dockerfile.Length == 0)
            yield return $"{at}: Dockerfile '{Dockerfile}' must be a relative path inside the directory.";
        if (NetworkMode is not ("none" or "default" or "bridge"))
            yield return $"{at}: NetworkMode '{NetworkMode}' must be none, default or bridge.";
        if (!MemorySize.TryParseLimit(Memory, out _))
            yield return $"{at}: Memory '{Memory}' is not a memory size between 6m and 1024g.";
        if (!double.IsFinite(Cpus) || Cpus < ServiceRules.MinCpus || Cpus > ServiceRules.MaxCpus)
            yield return $"{at}: Cpus must be between {ServiceRules.MinCpus} and {ServiceRules.MaxCpus}.";
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromHours(6))
            yield return $"{at}: Timeout must be positive and at most 6 hours.";
        if (!MemorySize.TryParse(MaxContextSize, out var contextBytes) || contextBytes <= 0)
            yield return $"{at}: MaxContextSize '{MaxContextSize}' is not a size.";
        if (!MemorySize.TryParse(MaxLogSize, out var logBytes) || logBytes <= 0)
            yield return $"{at}: MaxLogSize '{MaxLogSize}' is not a size.";
        if (KeepImages is < 1 or > 100)
            yield return $"{at}: KeepImages must be 1-100.";
        foreach (var group in Args.GroupBy(a => a.Name).Where(g => g.Count() > 1))
            yield return $"{at}: build argument {group.Key} is declared {group.Count()} times.";
        foreach (var arg in Args)
        {
            if (!BuildRules.ArgNamePattern().IsMatch(arg.Name))
                yield return $"{at}: '{arg.Name}' is not a build argument name.";
            if (arg.Pattern is not null && !IsRegex(arg.Pattern))
                yield return $"{at}: the pattern of {arg.Name} is not a regular expression.";
        }
        // The run entry is judged exactly as an allowlist entry, under the same global caps.
        var entry = RunEntry($"{ns}/x/{(BuildRules.ContextNamePattern().IsMatch(Name) ? Name : "context")}:check");
        var check = new ImagePolicyOptions
        {
            AllowedImages = [entry], MaxMemory = policy.MaxMemory, MaxCpus = policy.MaxCpus,
            DefaultMemory = policy.DefaultMemory, DefaultCpus = policy.DefaultCpus, AllowedCapabilities = policy.AllowedCapabilities,
        };
        foreach (var problem in check.Problems())
            yield return $"{at}: Run: {problem}";
    }

    /// <summary>The allowlist entry images of this context run under, naming <paramref name="image"/>.</summary>
    public AllowedImage RunEntry(string image) => new()
    {
        Image = image, MaxMemory = Run.MaxMemory, MaxCpus = Run.MaxCpus, DefaultMemory = Run.DefaultMemory, DefaultCpus = Run.DefaultCpus,
        AllowCommand = Run.AllowCommand, InternalPort = Run.InternalPort, User = Run.User, RunAsRoot = Run.RunAsRoot,
        Capabilities = Run.Capabilities, ReadOnlyRootfs = Run.ReadOnlyRootfs, Tmpfs = Run.Tmpfs, TmpfsSize = Run.TmpfsSize,
        HealthCheck = Run.HealthCheck, Supervision = Run.Supervision,
    };

    private static bool IsRegex(string pattern)
    {
        try { _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100)); return true; }
        catch (ArgumentException) { return false; }
    }
}

/// <summary>A build argument a context accepts.</summary>
public sealed class BuildArgRule
{
    /// <summary>The <c>ARG</c> name.</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// A regular expression the whole value must match (anchored by the worker); absent: letters, digits and
    /// <c>._-</c>, at most 128 characters. The syntax rules (no control characters, at most 1024) apply in any case.
    /// </summary>
    public string? Pattern { get; set; }

    /// <summary>
    /// The value is a secret: masked in log lines, the log tail, events and records. It still reaches the build, and a
    /// classic build records <c>ARG</c> values used by <c>RUN</c> in the image's history: see docs/BUILDS.md.
    /// </summary>
    public bool Secret { get; set; }

    /// <summary>Whether <paramref name="value"/> is acceptable.</summary>
    public bool Accepts(string value)
    {
        var pattern = Pattern ?? "[A-Za-z0-9._-]{0,128}";
        try
        {
            return Regex.IsMatch(value, $"^(?:{pattern})\\z", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
