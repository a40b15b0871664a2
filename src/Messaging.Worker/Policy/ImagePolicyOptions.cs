using Messaging.Validation;

namespace Messaging.Worker.Policy;

/// <summary>What may run, and how big. Section <c>Policy</c>.</summary>
public sealed class ImagePolicyOptions
{
    public const string Section = "Policy";

    /// <summary>The only images the worker will run.</summary>
    public List<AllowedImage> AllowedImages { get; set; } = [];

    /// <summary>Memory cap for any service (Docker units).</summary>
    public string MaxMemory { get; set; } = "1g";

    /// <summary>CPU cap for any service.</summary>
    public double MaxCpus { get; set; } = 2;

    // Capabilities that would let a container escape or own the host; no allowlist entry may grant them.
    private static readonly HashSet<string> ForbiddenCapabilities = new(StringComparer.OrdinalIgnoreCase)
    {
        "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT", "SYS_TIME", "NET_ADMIN",
        "DAC_READ_SEARCH", "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "PERFMON", "SYSLOG", "LINUX_IMMUTABLE",
        "SYS_RESOURCE", "AUDIT_CONTROL", "SETPCAP", "MKNOD", "IPC_OWNER", "SYS_PACCT", "SYS_NICE",
        "WAKE_ALARM", "BLOCK_SUSPEND", "CHECKPOINT_RESTORE", "NET_RAW", "SYS_TTY_CONFIG", "LEASE", "IPC_LOCK",
    };

    /// <summary>Problems that make this configuration unusable; empty when it is sound.</summary>
    public IEnumerable<string> Problems()
    {
        if (!MemorySize.TryParseLimit(MaxMemory, out _))
            yield return $"Policy:MaxMemory '{MaxMemory}' is not a memory size between 6m and 1024g.";
        if (!double.IsFinite(MaxCpus) || MaxCpus <= 0 || MaxCpus > ServiceRules.MaxCpus)
            yield return $"Policy:MaxCpus must be greater than 0 and at most {ServiceRules.MaxCpus}.";
        if (AllowedImages.Count == 0)
            yield return "Policy:AllowedImages is empty: the worker would refuse every request.";
        foreach (var entry in AllowedImages)
        {
            if (!ImageReference.TryParse(entry.Image, out _))
                yield return $"Policy:AllowedImages: '{entry.Image}' is not an image reference.";
            if (entry.MaxMemory is not null && !MemorySize.TryParseLimit(entry.MaxMemory, out _))
                yield return $"Policy:AllowedImages '{entry.Image}': MaxMemory '{entry.MaxMemory}' is not a memory size.";
            if (entry.MaxCpus is { } cpus && (!double.IsFinite(cpus) || cpus <= 0))
                yield return $"Policy:AllowedImages '{entry.Image}': MaxCpus must be greater than 0.";
            if (entry.InternalPort is < 1 or > 65535)
                yield return $"Policy:AllowedImages '{entry.Image}': InternalPort must be 1-65535.";
            foreach (var capability in entry.Capabilities)
            {
                if (!System.Text.RegularExpressions.Regex.IsMatch(capability, @"^[A-Z_]{2,32}\z"))
                    yield return $"Policy:AllowedImages '{entry.Image}': '{capability}' is not a capability name.";
                else if (ForbiddenCapabilities.Contains(capability.StartsWith("CAP_", StringComparison.Ordinal) ? capability[4..] : capability))
                    yield return $"Policy:AllowedImages '{entry.Image}': capability {capability} is never granted.";
            }
            foreach (var path in entry.Tmpfs)
            {
                if (!path.StartsWith('/') || path.Contains("..", StringComparison.Ordinal) || path.Contains(':') || path.Contains(','))
                    yield return $"Policy:AllowedImages '{entry.Image}': tmpfs path '{path}' must be an absolute path.";
            }
        }
    }
}
