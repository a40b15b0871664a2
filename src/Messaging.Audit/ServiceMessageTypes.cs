using Messaging.Contracts;

namespace Messaging.Audit;

/// <summary>
/// The commands and events of Messaging.Contracts, about services, stacks and builds, found by their shape, so that a
/// new one is recorded and delivered without a line added here.
/// </summary>
public static class ServiceMessageTypes
{
    /// <summary>Every record implementing <see cref="IServiceCommand"/>, <see cref="IStackCommand"/> or <see cref="IBuildCommand"/>.</summary>
    public static IReadOnlyList<Type> Commands { get; } = Implementing(typeof(IServiceCommand), typeof(IStackCommand), typeof(IBuildCommand));

    /// <summary>Every record implementing <see cref="IServiceEvent"/>, <see cref="IStackEvent"/> or <see cref="IBuildEvent"/>.</summary>
    public static IReadOnlyList<Type> Events { get; } = Implementing(typeof(IServiceEvent), typeof(IStackEvent), typeof(IBuildEvent));

    private static Type[] Implementing(params Type[] shapes) =>
    [
        .. shapes[0].Assembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && shapes.Any(shape => shape.IsAssignableFrom(type)))
            .OrderBy(type => type.Name, StringComparer.Ordinal),
    ];
}
