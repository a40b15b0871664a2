using Messaging.Worker.Containers;

namespace Messaging.Worker.Pools;

/// <summary>
/// Labels of warm pool members and of their claims. A member carries <see cref="Pool"/> and <see cref="Member"/> and
/// none of the service labels (service id, owner, name): until claimed it is nobody's service, so the reconciler and
/// the supervisor, which know containers by service id, leave it alone.
/// </summary>
public static class PoolLabels
{
    /// <summary>On a member: the pool it was made for.</summary>
    public const string Pool = "messaging.pool";

    /// <summary>On a member and on its claim: the member's id (names the claim volume).</summary>
    public const string Member = "messaging.pool-member";

    /// <summary>On a claim volume: marks it as one.</summary>
    public const string Claim = "messaging.pool-claim";

    /// <summary>On a claim volume: the limits the claiming service asked for (applied to the member by update).</summary>
    public const string MemoryBytes = "messaging.memory-bytes";
    public const string NanoCpus = "messaging.nano-cpus";

    /// <summary>The member id a container's labels name, or null when it is no pool member.</summary>
    public static Guid? MemberOf(IReadOnlyDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(Member, out var value) && Guid.TryParse(value, out var id) &&
        !labels.ContainsKey(ContainerLabels.ServiceId) ? id : null;
}
