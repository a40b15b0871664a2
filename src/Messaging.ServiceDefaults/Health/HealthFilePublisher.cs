using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.ServiceDefaults.Health;

/// <summary>Section <c>Health</c>.</summary>
public sealed class HealthFileOptions
{
    public const string Section = "Health";

    /// <summary>
    /// Where the process writes <c>Healthy</c> or <c>Unhealthy</c> after each round of readiness checks.
    /// The worker and the audit host open no port, so container healthchecks read this file (and its age) instead.
    /// Its default (a file in the temporary folder named after the process) comes from
    /// <see cref="HealthFileRegistration.AddHealthFile"/>.
    /// </summary>
    public string File { get; set; } = "";
}

/// <summary>Writes the readiness (the checks tagged <see cref="HealthTags.Ready"/>) to <see cref="HealthFileOptions.File"/>.</summary>
public sealed class HealthFilePublisher(IOptions<HealthFileOptions> options, ILogger<HealthFilePublisher> logger) : IHealthCheckPublisher
{
    private HealthStatus? _last;

    public async Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        var status = report.Status == HealthStatus.Healthy ? "Healthy" : "Unhealthy";
        var temporary = options.Value.File + ".tmp";
        await File.WriteAllTextAsync(temporary, status + "\n", cancellationToken);
        File.Move(temporary, options.Value.File, overwrite: true); // readers never see half a file
        if (_last != report.Status)
        {
            var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key);
            logger.LogInformation("Readiness is now {Status} {Failing}", status, string.Join(", ", failing));
            _last = report.Status;
        }
    }
}
