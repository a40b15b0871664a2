using System.Text.RegularExpressions;
using Messaging.Validation;

namespace Messaging.Worker.Policy;

/// <summary>What may run, and how big. Section <c>Policy</c>.</summary>
public sealed partial class ImagePolicyOptions
{
    public const string Section = "Policy";

    /// <summary>The only images the worker will run.</summary>
    public List<AllowedImage> AllowedImages { get; set; } = [];

    /// <summary>Memory cap for any service (Docker units).</summary>
    public string MaxMemory { get; set; } = "1g";

    /// <summary>CPU cap for any service.</summary>
    public double MaxCpus { get; set; } = 2;

    /// <summary>Memory limit of a request that names none, for entries without their own <see cref="AllowedImage.DefaultMemory"/>.</summary>
    public string DefaultMemory { get; set; } = "128m";

    /// <summary>CPU limit of a request that names none, for entries without their own <see cref="AllowedImage.DefaultCpus"/>.</summary>
    public double DefaultCpus { get; set; } = 0.5;

    /// <summary>The memory cap of an entry in bytes: its own, never above the global one.</summary>
    public long MemoryCapOf(AllowedImage entry)
    {
        MemorySize.TryParseLimit(MaxMemory, out var globalCap);
        return entry.MaxMemory is not null && MemorySize.TryParseLimit(entry.MaxMemory, out var imageCap)
            ? Math.Min(imageCap, globalCap)
            : globalCap;
    }

    /// <summary>The CPU cap of an entry: its own, never above the global one.</summary>
    public double CpuCapOf(AllowedImage entry) => Math.Min(entry.MaxCpus ?? MaxCpus, MaxCpus);

    /// <summary>
    /// The one place an operator opts into capabilities beyond NET_BIND_SERVICE: an allowlist entry may list only
    /// NET_BIND_SERVICE and the names here, and this list may hold only <see cref="CapabilityRules.OptIn"/>. Empty
    /// by default. (Null rather than an empty list so a configured list is taken as it is; see <see cref="AllowedImage.Capabilities"/>.)
    /// </summary>
    public List<string>? AllowedCapabilities { get; set; }

    /// <summary>Problems that make this configuration unusable; empty when it is sound.</summary>
    public IEnumerable<string> Problems()
    {
        if (!MemorySize.TryParseLimit(MaxMemory, out _))
            yield return $"Policy:MaxMemory '{MaxMemory}' is not a memory size between 6m and 1024g.";
        if (!double.IsFinite(MaxCpus) || MaxCpus <= 0 || MaxCpus > ServiceRules.MaxCpus)
            yield return $"Policy:MaxCpus must be greater than 0 and at most {ServiceRules.MaxCpus}.";
        if (!MemorySize.TryParseLimit(DefaultMemory, out _))
            yield return $"Policy:DefaultMemory '{DefaultMemory}' is not a memory size between 6m and 1024g.";
        if (!double.IsFinite(DefaultCpus) || DefaultCpus < ServiceRules.MinCpus || DefaultCpus > ServiceRules.MaxCpus)
            yield return $"Policy:DefaultCpus must be between {ServiceRules.MinCpus} and {ServiceRules.MaxCpus}.";
        if (AllowedImages.Count == 0)
            yield return "Policy:AllowedImages is empty: the worker would refuse every request.";
        var optedIn = new HashSet<string>(StringComparer.Ordinal);
        foreach (var capability in AllowedCapabilities ?? [])
        {
            if (!CapabilityRules.IsWellFormed(capability))
                yield return $"Policy:AllowedCapabilities: '{capability}' is not a capability name.";
            else if (!CapabilityRules.OptIn.Contains(CapabilityRules.Normalize(capability)))
                yield return $"Policy:AllowedCapabilities: {capability} is never granted (it may hold only {string.Join(", ", CapabilityRules.OptIn.Order(StringComparer.Ordinal))}).";
            else
                optedIn.Add(CapabilityRules.Normalize(capability));
        }
        foreach (var entry in AllowedImages)
        {
            if (!ImageReference.TryParse(entry.Image, out _))
                yield return $"Policy:AllowedImages: '{entry.Image}' is not an image reference.";
            if (entry.MaxMemory is not null && !MemorySize.TryParseLimit(entry.MaxMemory, out _))
                yield return $"Policy:AllowedImages '{entry.Image}': MaxMemory '{entry.MaxMemory}' is not a memory size.";
            if (entry.MaxCpus is { } cpus && (!double.IsFinite(cpus) || cpus <= 0))
                yield return $"Policy:AllowedImages '{entry.Image}': MaxCpus must be greater than 0.";
            foreach (var problem in DefaultProblems(entry))
                yield return problem;
            if (entry.InternalPort is < 1 or > 65535)
                yield return $"Policy:AllowedImages '{entry.Image}': InternalPort must be 1-65535.";
            // One constraint per label, so neither part may carry an operator (==, !=) or a separator of its own.
            foreach (var (key, value) in entry.RequiredNodeLabels)
            {
                if (!System.Text.RegularExpressions.Regex.IsMatch(key + value, "^[A-Za-z0-9._-]+$") || key.Length == 0 || value.Length == 0)
                    yield return $"Policy:AllowedImages '{entry.Image}': RequiredNodeLabels '{key}: {value}' must be letters, digits, '.', '_' or '-'.";
            }
            foreach (var problem in UserProblems(entry))
                yield return problem;
            foreach (var problem in entry.HealthCheck?.Problems(entry.Image) ?? [])
                yield return problem;
            foreach (var problem in entry.Supervision.Problems(entry.Image))
                yield return problem;
            foreach (var capability in entry.Capabilities ?? [])
            {
                var name = CapabilityRules.Normalize(capability);
                if (!CapabilityRules.IsWellFormed(capability))
                    yield return $"Policy:AllowedImages '{entry.Image}': '{capability}' is not a capability name.";
                else if (name != CapabilityRules.NetBindService && !CapabilityRules.OptIn.Contains(name))
                    yield return $"Policy:AllowedImages '{entry.Image}': capability {capability} is never granted (only NET_BIND_SERVICE, and what Policy:AllowedCapabilities opts into).";
                else if (name != CapabilityRules.NetBindService && !optedIn.Contains(name))
                    yield return $"Policy:AllowedImages '{entry.Image}': capability {capability} is not allowed: only NET_BIND_SERVICE is granted " +
                                 $"unless Policy:AllowedCapabilities lists {name}.";
            }
            if (!MemorySize.TryParseLimit(entry.TmpfsSize, out _))
                yield return $"Policy:AllowedImages '{entry.Image}': TmpfsSize '{entry.TmpfsSize}' is not a memory size between 6m and 1024g.";
            foreach (var path in entry.Tmpfs ?? [])
            {
                if (!path.StartsWith('/') || path.Contains("..", StringComparison.Ordinal) || path.Contains(':') || path.Contains(','))
                    yield return $"Policy:AllowedImages '{entry.Image}': tmpfs path '{path}' must be an absolute path.";
            }
        }
    }

    /// <summary>An entry's defaults (its own or the global ones) are sizes within its caps: a request that names no limit is never refused for the default.</summary>
    private IEnumerable<string> DefaultProblems(AllowedImage entry)
    {
        var memory = entry.DefaultMemory ?? DefaultMemory;
        if (!MemorySize.TryParseLimit(memory, out var memoryBytes))
        {
            if (entry.DefaultMemory is not null)
                yield return $"Policy:AllowedImages '{entry.Image}': DefaultMemory '{entry.DefaultMemory}' is not a memory size.";
        }
        else if (MemorySize.TryParseLimit(MaxMemory, out _) && memoryBytes > MemoryCapOf(entry))
            yield return $"Policy:AllowedImages '{entry.Image}': the default memory {memory} is above its cap of {MemorySize.Format(MemoryCapOf(entry))}.";
        var cpus = entry.DefaultCpus ?? DefaultCpus;
        if (!double.IsFinite(cpus) || cpus < ServiceRules.MinCpus)
        {
            if (entry.DefaultCpus is not null)
                yield return $"Policy:AllowedImages '{entry.Image}': DefaultCpus must be at least {ServiceRules.MinCpus}.";
        }
        else if (CpuCapsAreSound(entry) && cpus > CpuCapOf(entry))
            yield return $"Policy:AllowedImages '{entry.Image}': the default CPU limit {cpus} is above its cap of {CpuCapOf(entry)}.";
    }

    // A broken cap is reported on its own; comparing a default against it would only add noise.
    private bool CpuCapsAreSound(AllowedImage entry) =>
        double.IsFinite(MaxCpus) && MaxCpus > 0 && entry.MaxCpus is null or > 0 && (entry.MaxCpus is null || double.IsFinite(entry.MaxCpus.Value));

    /// <summary>An entry runs as a non-root numeric user, or says it runs the image's own (root) user; never neither or both.</summary>
    private static IEnumerable<string> UserProblems(AllowedImage entry)
    {
        if (entry.RunAsRoot)
        {
            if (entry.User is not null)
                yield return $"Policy:AllowedImages '{entry.Image}': set User or RunAsRoot, not both.";
            yield break;
        }
        if (entry.User is null)
            yield return $"Policy:AllowedImages '{entry.Image}': no User. Set a non-root User as UID:GID (e.g. \"101:101\"), " +
                         "or RunAsRoot: true to run the image's own user, which is root for most images (what that costs: docs/SECURITY.md, \"Running as root\").";
        else if (NonRootUser().Match(entry.User) is not { Success: true } match)
            yield return $"Policy:AllowedImages '{entry.Image}': User '{entry.User}' must be a numeric UID:GID (e.g. \"101:101\"): " +
                         "a name is resolved inside the image, where it may be root, and without a GID the engine may pick group 0.";
        else if (match.Groups["uid"].Value == "0" || match.Groups["gid"].Value == "0")
            yield return $"Policy:AllowedImages '{entry.Image}': User '{entry.User}' is root (UID or GID 0); set RunAsRoot: true instead if that is meant.";
    }

    // Leading zeros are refused so "00:0" cannot hide uid 0 from the check above.
    [GeneratedRegex(@"^(?<uid>0|[1-9][0-9]{0,8}):(?<gid>0|[1-9][0-9]{0,8})\z")]
    private static partial Regex NonRootUser();
}
