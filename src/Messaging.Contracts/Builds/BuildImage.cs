namespace Messaging.Contracts;

/// <summary>
/// Asks a worker to build an image from one of the operator's named build contexts (issue 17). A request names a
/// context and, optionally, values for the build arguments that context declares: never a path, an archive or a URL.
/// Published by the API or directly by another system; the worker checks every field again against its own
/// configuration (<c>Builds:Contexts</c>) and trusts none of them.
/// </summary>
public sealed record BuildImage : IBuildCommand
{
    /// <summary>Idempotency key of this command, chosen by the publisher.</summary>
    public Guid CommandId { get; init; }

    /// <summary>Identity of the build, chosen by the publisher (<c>GET /api/v1/builds/{id}</c>).</summary>
    public Guid BuildId { get; init; }

    /// <summary>The name of an operator-configured build context (<c>^[a-z0-9][a-z0-9-]{0,62}$</c>).</summary>
    public string Context { get; init; } = "";

    /// <summary>
    /// Build argument values, by name: only names the context declares, each value matching the context's rule for it.
    /// Values of arguments the context marks secret never appear in logs, events or records.
    /// </summary>
    public IReadOnlyDictionary<string, string>? BuildArgs { get; init; }

    /// <summary>Who asked: a token id or the name of the publishing system. Becomes the owner of the image.</summary>
    public string RequestedBy { get; init; } = "";

    /// <summary>When the request was made.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}
