using System.ComponentModel.DataAnnotations;

namespace Messaging.Worker.Containers;

/// <summary>How the worker reaches the engine and shapes containers. Section <c>Docker</c>.</summary>
public sealed class DockerOptions
{
    public const string Section = "Docker";

    /// <summary>Engine endpoint: <c>unix:///var/run/docker.sock</c> or <c>tcp://host:2375</c>.</summary>
    [Required]
    public string Endpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>Engine API version to speak; 1.41 works against Docker 20.10 and newer.</summary>
    [Required, RegularExpression(@"^\d+\.\d+$")]
    public string ApiVersion { get; set; } = "1.41";

    /// <summary>The bridge network services join; created when missing, with inter-container traffic off.</summary>
    [Required, RegularExpression(@"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$")]
    public string Network { get; set; } = "proxy_network";

    /// <summary>
    /// Accept a services network on which containers can reach each other (created by hand without
    /// <c>com.docker.network.bridge.enable_icc=false</c>). Off by default: the worker refuses to use it.
    /// </summary>
    public bool AllowInterContainerTraffic { get; set; }

    /// <summary>Host address service ports are published on.</summary>
    [Required]
    public string PublishAddress { get; set; } = "127.0.0.1";

    /// <summary>Process limit of every container (fork bombs stop here).</summary>
    [Range(16, 65536)]
    public long PidsLimit { get; set; } = 256;

    /// <summary>Value of the <c>messaging.instance</c> label: lets several installations share one engine.</summary>
    [Required, RegularExpression(@"^[a-z0-9][a-z0-9-]{0,62}$")]
    public string Instance { get; set; } = "default";

    /// <summary>Pull an allowlisted image the engine does not have yet.</summary>
    public bool PullMissingImages { get; set; } = true;

    /// <summary>Bounded json-file logs per container, so a chatty service cannot fill the disk.</summary>
    public string LogMaxSize { get; set; } = "10m";

    [Range(1, 100)]
    public int LogMaxFiles { get; set; } = 3;

    /// <summary>How long a container gets to exit on stop or restart before it is killed.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for one engine call (pulls excepted).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
