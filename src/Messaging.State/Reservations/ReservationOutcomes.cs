using Messaging.State.Tokens;

namespace Messaging.State.Reservations;

/// <summary>How a reservation of name, port and quota ended.</summary>
public enum ReserveOutcome { Reserved, NameTaken, Exhausted, QuotaExceeded, HostCapacityExceeded }

/// <summary>
/// The answer of <see cref="PortReservations.ReserveAsync"/>: the port when reserved, the exceeded quota (services,
/// memory, cpus) when refused for quota, the exceeded part of the host budget (memory, cpus) when refused for that.
/// </summary>
public sealed record PortReservation(ReserveOutcome Outcome, int Port = 0, string? Detail = null);

/// <summary>How putting back a running container's reservation ended.</summary>
public enum RestoreOutcome
{
    /// <summary>Something was missing and is written back.</summary>
    Restored,
    /// <summary>Port, name and usage were all in place.</summary>
    Intact,
    /// <summary>Another service holds that port or name; nothing was written.</summary>
    Conflict,
}

/// <summary>
/// The total memory and CPU the worker may hand out on its host, over all services and owners (null: no limit).
/// Checked in the same atomic reservation as the owner's quota.
/// </summary>
public sealed record HostBudget(long? MemoryBytes, double? Cpus)
{
    public static readonly HostBudget Unlimited = new(null, null);

    public long? MilliCpus => Cpus is { } cpus ? (long)Math.Floor(cpus * 1000) : null;
}

/// <summary>What all services hold of the host budget now.</summary>
public sealed record HostUsage(long MemoryBytes, long MilliCpus);

/// <summary>What a new service takes from its owner's quota.</summary>
public sealed record Allocation(string Owner, long MemoryBytes, double Cpus, Quota Quota)
{
    public long MilliCpus => (long)Math.Ceiling(Cpus * 1000);

    /// <summary>For callers that do not count usage (tests of the port logic alone).</summary>
    public static Allocation Uncounted(string owner = "test") => new(owner, 0, 0, Quota.Unlimited);
}
