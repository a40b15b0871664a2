namespace Messaging.State.Tokens;

/// <summary>
/// The fields of an owner's usage hash (<see cref="RedisKeys.Usage"/>). The reservation scripts write them,
/// <see cref="TokenStore.UsageOfAsync"/> reads them; a unit test checks the scripts name no others.
/// </summary>
internal static class UsageFields
{
    public const string Services = "services";
    public const string MemoryBytes = "memory_bytes";
    public const string MilliCpus = "millicpus";

    public static IReadOnlySet<string> All { get; } = new HashSet<string> { Services, MemoryBytes, MilliCpus };
}
