namespace Messaging.Worker.Policy;

/// <summary>One allowlist entry: an image users may run, with its caps and defaults.</summary>
public sealed class AllowedImage
{
    /// <summary>Reference as users write it (<c>nginx:alpine</c>); may pin a digest (<c>...@sha256:...</c>).</summary>
    public string Image { get; set; } = "";

    /// <summary>Highest memory limit for this image (Docker units); the global cap when absent.</summary>
    public string? MaxMemory { get; set; }

    /// <summary>Highest CPU limit for this image; the global cap when absent.</summary>
    public double? MaxCpus { get; set; }

    /// <summary>Container port published when the request names none.</summary>
    public int InternalPort { get; set; } = 80;

    /// <summary>Capabilities added back after dropping ALL. Keep this list as short as the image allows.</summary>
    public List<string> Capabilities { get; set; } = [];

    /// <summary>Run with a read-only root file system (writable paths come from <see cref="Tmpfs"/>).</summary>
    public bool ReadOnlyRootfs { get; set; }

    /// <summary>Paths mounted as tmpfs, e.g. <c>/tmp</c>.</summary>
    public List<string> Tmpfs { get; set; } = [];
}
