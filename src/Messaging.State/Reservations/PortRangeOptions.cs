using System.ComponentModel.DataAnnotations;

namespace Messaging.State.Reservations;

/// <summary>The host ports services are published on. Section <c>Ports</c>.</summary>
public sealed class PortRangeOptions : IValidatableObject
{
    public const string Section = "Ports";

    [Range(1024, 65535)]
    public int Min { get; set; } = 11000;

    [Range(1024, 65535)]
    public int Max { get; set; } = 20000;

    /// <summary>How long a port the engine refused ("already allocated") is skipped.</summary>
    public TimeSpan BlockRefusedPortFor { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Ports tried for one service before giving up.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// TTL of the reservation lock. The reservation script takes and releases it within one atomic step,
    /// so ours never lasts that long; the TTL is the lock protocol's bound for any holder.
    /// </summary>
    public TimeSpan LockTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a reservation waits while someone else holds the lock before treating Redis as unavailable.</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Min > Max)
            yield return new ValidationResult($"Ports:Min ({Min}) must not be above Ports:Max ({Max}).");
        if (LockTtl <= TimeSpan.Zero || LockWait <= TimeSpan.Zero)
            yield return new ValidationResult("Ports:LockTtl and Ports:LockWait must be positive.");
    }
}
