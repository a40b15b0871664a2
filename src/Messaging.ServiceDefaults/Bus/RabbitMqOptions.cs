using System.ComponentModel.DataAnnotations;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>Section <c>RabbitMq</c>: the broker every host connects to, each as a user of its own in production.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    [Required(AllowEmptyStrings = false)]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    [Required(AllowEmptyStrings = false)]
    public string VHost { get; set; } = "/";

    [Required(AllowEmptyStrings = false)]
    public string User { get; set; } = "guest";

    [Required(AllowEmptyStrings = false)]
    public string Pass { get; set; } = "guest";

    /// <summary>A file holding the password (a compose secret); when set, its first line replaces <see cref="Pass"/>.</summary>
    public string? PassFile { get; set; }

    /// <summary>
    /// How long the bus may stay short of healthy (an endpoint faulted or not connected) while the broker accepts
    /// connections before <see cref="StalledBusExit"/> ends the process for a fresh one; zero turns that off.
    /// </summary>
    public TimeSpan StalledBusExitAfter { get; set; } = TimeSpan.FromSeconds(60);
}
