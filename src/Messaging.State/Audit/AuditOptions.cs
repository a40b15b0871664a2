using System.ComponentModel.DataAnnotations;

namespace Messaging.State.Audit;

/// <summary>Retention of the audit trail. Section <c>Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>About how many entries the whole trail keeps (<c>XADD MAXLEN ~</c>): the oldest go first.</summary>
    [Range(1000, 100_000_000)]
    public long MaxLength { get; set; } = 100_000;

    /// <summary>About how many entries each service's own stream keeps (what <c>/services/{id}/events</c> shows).</summary>
    [Range(10, 1_000_000)]
    public long ServiceMaxLength { get; set; } = 1_000;

    /// <summary>About how many entries each owner's own stream keeps (what their live stream replays from).</summary>
    [Range(10, 10_000_000)]
    public long OwnerMaxLength { get; set; } = 10_000;

    /// <summary>Entries older than this are trimmed too (<c>XTRIM MINID ~</c>); none when unset.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>How long a message id is remembered so that a redelivered message is not written twice.</summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromDays(1);
}
