namespace Messaging.Stacks.Compose;

/// <summary>
/// Why a stack file is refused: <see cref="Path"/> names the offending key as the file spells it
/// (<c>services.db.privileged</c>, <c>services.web.ports[0]</c>), empty for the file as a whole.
/// </summary>
public sealed record StackProblem(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
