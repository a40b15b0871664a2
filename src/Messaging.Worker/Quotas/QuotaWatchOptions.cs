using System.ComponentModel.DataAnnotations;

namespace Messaging.Worker.Quotas;

/// <summary>Section <c>Quotas</c> (beside <c>Quotas:Systems</c>): when an owner counts as near their quota.</summary>
public sealed class QuotaWatchOptions
{
    public const string Section = "Quotas";

    /// <summary>
    /// An owner is near their quota once what they hold reaches this fraction of any of its limits (services, memory or
    /// CPUs): the gauge <c>messaging_quota_owners_near_limit</c> counts such owners, the alert MessagingQuotaNear reads it.
    /// </summary>
    [Range(0.01, 1.0)]
    public double NearFraction { get; set; } = 0.8;
}
