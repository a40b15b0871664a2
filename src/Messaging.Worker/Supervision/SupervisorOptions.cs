using System.ComponentModel.DataAnnotations;

namespace Messaging.Worker.Supervision;

/// <summary>How the supervisor restarts services. Section <c>Supervisor</c>; each allowlist entry sets its own policy.</summary>
public sealed class SupervisorOptions : IValidatableObject
{
    public const string Section = "Supervisor";

    /// <summary>Off: containers that exit stay exited until the reconciler marks them stopped (as before supervision).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The delay of a window's first restart (after a crash following a stable run, or the first crash at all): none by
    /// default, so a one-off crash is served again after the engine's start time.
    /// </summary>
    public TimeSpan FirstRestartDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The second restart's delay; each further one in the window doubles it (with jitter), up to <see cref="BackoffCap"/>.</summary>
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A container that ran this long before it exited starts a fresh restart budget: it was not crash-looping.</summary>
    public TimeSpan StableUptime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most restarts a create request may ask for within the window (its entry's default may be lower or higher).</summary>
    [Range(0, Validation.ServiceRules.MaxRestartsLimit)]
    public int MaxRestartsCap { get; set; } = 20;

    /// <summary>Log lines kept on the record of a service found crash-looping.</summary>
    [Range(0, 1000)]
    public int LogTailLines { get; set; } = 50;

    /// <summary>How often scheduled restarts that came due are looked for (any worker may carry one out).</summary>
    public TimeSpan DueCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often every running service is compared with its container besides the events (and after each resubscription).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long to wait before subscribing to the engine's events again after the stream broke.</summary>
    public TimeSpan ResubscribeDelay { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BackoffBase <= TimeSpan.Zero || BackoffCap < BackoffBase)
            yield return new ValidationResult("Supervisor:BackoffBase must be positive and Supervisor:BackoffCap at least as long.");
        if (FirstRestartDelay < TimeSpan.Zero || FirstRestartDelay > BackoffCap)
            yield return new ValidationResult("Supervisor:FirstRestartDelay must be between zero and Supervisor:BackoffCap.");
        if (DueCheckInterval <= TimeSpan.Zero || SweepInterval <= TimeSpan.Zero || ResubscribeDelay <= TimeSpan.Zero)
            yield return new ValidationResult("Supervisor:DueCheckInterval, SweepInterval and ResubscribeDelay must be positive.");
        if (StableUptime <= TimeSpan.Zero)
            yield return new ValidationResult("Supervisor:StableUptime must be positive.");
    }
}
