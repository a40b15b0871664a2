using Messaging.Contracts;

namespace Messaging.Audit;

/// <summary>
/// The commands and events of Messaging.Contracts, found by their shape, so that a new one is recorded and
/// delivered without a line added here.
/// </summary>
public static class ServiceMessageTypes
{
    /// <summary>Every record implementing <see cref="IServiceCommand"/>.</summary>
    public static IReadOnlyList<Type> Commands { get; } = Implementing(typeof(IServiceCommand));

    /// <summary>Every record implementing <see cref="IServiceEvent"/>.</summary>
    public static IReadOnlyList<Type> Events { get; } = Implementing(typeof(IServiceEvent));

    private static Type[] Implementing(Type shape) =>
    [
        .. shape.Assembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && shape.IsAssignableFrom(type))
            .OrderBy(type => type.Name, StringComparer.Ordinal),
    ];
}
