using Messaging.Contracts;

namespace Messaging.Audit;

/// <summary>
/// The commands and events of Messaging.Contracts, about services and about stacks, found by their shape, so that a
/// new one is recorded and delivered without a line added here.
/// </summary>
public static class ServiceMessageTypes
{
    /// <summary>Every record implementing <see cref="IServiceCommand"/> or <see cref="IStackCommand"/>.</summary>
    public static IReadOnlyList<Type> Commands { get; } = Implementing(typeof(IServiceCommand), typeof(IStackCommand));

    /// <summary>Every record implementing <see cref="IServiceEvent"/> or <see cref="IStackEvent"/>.</summary>
    public static IReadOnlyList<Type> Events { get; } = Implementing(typeof(IServiceEvent), typeof(IStackEvent));

    private static Type[] Implementing(params Type[] shapes) =>
    [
        .. shapes[0].Assembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && shapes.Any(shape => shape.IsAssignableFrom(type)))
            .OrderBy(type => type.Name, StringComparer.Ordinal),
    ];
}
