using System.ComponentModel.DataAnnotations;
using Messaging.Validation.Webhooks;

namespace Messaging.Audit.Notifications;

/// <summary>
/// How the audit host delivers webhooks: attempts and their backoff, the time one attempt may take, how many
/// deliveries run at once, and the circuit breaker kept per receiver. Section <c>Webhooks</c>, beside the address
/// policy (<see cref="WebhookOptions"/>).
/// </summary>
public sealed class WebhookDeliveryOptions : IValidatableObject
{
    /// <summary>Tries per delivery, the first included; then the delivery is recorded as failed.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait after the first failed try; it doubles after each further one, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two tries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long one HTTP attempt may take, connection included.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries in flight at once in one audit host (a receiver that hangs holds one each until its timeout).</summary>
    [Range(1, 256)]
    public int ConcurrentDeliveries { get; set; } = 16;

    /// <summary>Share of failed attempts to one receiver, within <see cref="BreakerSamplingDuration"/>, that opens its circuit.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts to one receiver within <see cref="BreakerSamplingDuration"/> before its failure ratio counts.</summary>
    [Range(2, 1000)]
    public int BreakerMinimumThroughput { get; set; } = 5;

    /// <summary>The window the failure ratio is measured over.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an open circuit skips its receiver before one probe attempt may go through.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxRetryDelay < FirstRetryDelay)
            yield return new ValidationResult($"{nameof(MaxRetryDelay)} must not be shorter than {nameof(FirstRetryDelay)}.",
                [nameof(MaxRetryDelay)]);
    }
}
