namespace Messaging.Worker.Reconciliation;

/// <summary>Section <c>Reconciler</c>.</summary>
public sealed class ReconcilerOptions
{
    public const string Section = "Reconciler";

    /// <summary>Run passes at all (a pass can also be run on demand through <see cref="Reconciler"/>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between passes (one also runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Remove containers of ours that no live record owns. Off: they are only reported.</summary>
    public bool RemoveOrphans { get; set; }

    /// <summary>A record in <c>creating</c> this old, unlocked and without a container, is an abandoned creation.</summary>
    public TimeSpan StuckCreatingAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A record in <c>removing</c> this long after the removal began, and unlocked, is a removal cut short whose command
    /// is not coming back (dead-lettered, say): the reconciler finishes it. Above the time a redelivery takes to resume
    /// it (a dead holder's service lock lasts 30 s), so the command itself usually gets there first.
    /// </summary>
    public TimeSpan StaleRemovingAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A record still <c>pending</c> and unconfirmed (the API's publish timed out) this long after it was written,
    /// and never claimed by a worker, is failed with <c>not_delivered</c>. Far above the confirm timeout, so a
    /// command the broker did take has long reached a worker (whose claim would win the race: the move is atomic).
    /// </summary>
    public TimeSpan UnconfirmedPendingExpiry { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a <c>failed</c> or <c>removed</c> record stays (counted from its last change) before a pass deletes it
    /// with its index entries. It holds no name, port or quota by then; the audit trail keeps its history. A failed
    /// service whose container is still on the engine is kept until that container is gone.
    /// </summary>
    public TimeSpan RecordRetention { get; set; } = TimeSpan.FromDays(7);
}
