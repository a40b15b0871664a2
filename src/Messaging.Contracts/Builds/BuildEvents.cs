namespace Messaging.Contracts;

/// <summary>
/// A <see cref="BuildImage"/> produced an image. It is tagged <see cref="Image"/> in the installation's namespace and
/// may be run (<c>CreateService.image</c>) by <see cref="Owner"/> only, under the context's caps.
/// </summary>
public sealed record ImageBuilt : IBuildEvent
{
    /// <summary>The command this event answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The build.</summary>
    public Guid BuildId { get; init; }
    /// <summary>The build context's name.</summary>
    public string Context { get; init; } = "";
    /// <summary>Who may run the image.</summary>
    public string Owner { get; init; } = "";
    /// <summary>The image's tag, <c>{namespace}/{instance}/{context}:{hash}</c>: what <c>CreateService.image</c> names.</summary>
    public string Image { get; init; } = "";
    /// <summary>The engine's image id (<c>sha256:...</c>).</summary>
    public string ImageId { get; init; } = "";
    /// <summary>The last lines of the build log, secrets masked.</summary>
    public IReadOnlyList<string> LogTail { get; init; } = [];
    /// <summary>When the build ended.</summary>
    public DateTimeOffset BuiltAt { get; init; }
}

/// <summary>A <see cref="BuildImage"/> was refused or its build failed; no image of it is tagged.</summary>
public sealed record ImageBuildFailed : IBuildEvent
{
    /// <summary>The command this event answers.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The build.</summary>
    public Guid BuildId { get; init; }
    /// <summary>The build context's name, as the command gave it.</summary>
    public string Context { get; init; } = "";
    /// <summary>The verified owner of the command ("" when the publisher could not be verified).</summary>
    public string Owner { get; init; } = "";
    /// <summary>One of <see cref="BuildFailureReasons"/>.</summary>
    public string Reason { get; init; } = "";
    /// <summary>A message for humans, secrets masked.</summary>
    public string Message { get; init; } = "";
    /// <summary>The last lines of the build log, secrets masked; empty when no build started.</summary>
    public IReadOnlyList<string> LogTail { get; init; } = [];
    /// <summary>When the failure was decided.</summary>
    public DateTimeOffset FailedAt { get; init; }
}

/// <summary>The closed set of reason codes of <see cref="ImageBuildFailed"/>; subscribers must tolerate codes they do not know.</summary>
public static class BuildFailureReasons
{
    /// <summary>The command is malformed (ids, context name syntax, argument syntax) or its publisher unverified.</summary>
    public const string InvalidCommand = FailureReasons.InvalidCommand;
    /// <summary>No build context of that name is configured.</summary>
    public const string ContextNotFound = "context_not_found";
    /// <summary>A build argument the context does not declare, or a value its rule refuses.</summary>
    public const string BuildArgNotAllowed = "build_arg_not_allowed";
    /// <summary>The context directory cannot be sent: a symlink leaving it, a device or fifo, over its size cap, missing.</summary>
    public const string ContextRefused = "context_refused";
    /// <summary>A step of the Dockerfile failed (a non-zero RUN, a missing file, an unknown base image).</summary>
    public const string BuildFailed = "build_failed";
    /// <summary>A step was killed for exceeding the context's memory limit.</summary>
    public const string OutOfMemory = "build_out_of_memory";
    /// <summary>The build ran longer than the context's timeout and was stopped.</summary>
    public const string Timeout = "build_timeout";
    /// <summary>The build wrote more log than the context's cap and was stopped.</summary>
    public const string LogLimitExceeded = "log_limit_exceeded";
    /// <summary>The Docker engine could not be reached.</summary>
    public const string DockerUnavailable = FailureReasons.DockerUnavailable;
    /// <summary>The engine refused or failed the operation outside a build step.</summary>
    public const string DockerError = FailureReasons.DockerError;
    /// <summary>
    /// The API could not hand the command to the broker (on the record only; no event), or the broker never confirmed it
    /// and no worker took it within <c>Builds:UnconfirmedPendingExpiry</c> (then a worker publishes the event).
    /// </summary>
    public const string NotDelivered = FailureReasons.NotDelivered;

    /// <summary>Every code.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        InvalidCommand, ContextNotFound, BuildArgNotAllowed, ContextRefused, BuildFailed, OutOfMemory, Timeout,
        LogLimitExceeded, DockerUnavailable, DockerError, NotDelivered,
    };
}

/// <summary>The statuses of a build record.</summary>
public static class BuildStatus
{
    /// <summary>Accepted by the API, not yet taken by a worker.</summary>
    public const string Pending = "pending";
    /// <summary>Taken by a worker, waiting for a build slot (the record's <c>queue_position</c> says how many are ahead).</summary>
    public const string Queued = "queued";
    /// <summary>The engine is building it.</summary>
    public const string Building = "building";
    /// <summary>The image is built and tagged.</summary>
    public const string Succeeded = "succeeded";
    /// <summary>Refused or failed; no image.</summary>
    public const string Failed = "failed";
}

/// <summary>
/// Lines a running build wrote, relayed live by the worker (in batches, every fraction of a second) for the API's
/// <c>GET /api/v1/builds/{id}/logs</c>. Values of secret arguments are already masked. Best effort: a batch may be
/// lost; the record's log tail (and <see cref="ImageBuilt.LogTail"/>/<see cref="ImageBuildFailed.LogTail"/>) holds the end.
/// </summary>
public sealed record ImageBuildLogged
{
    /// <summary>The build.</summary>
    public Guid BuildId { get; init; }
    /// <summary>The build's verified owner.</summary>
    public string Owner { get; init; } = "";
    /// <summary>The number of the first of <see cref="Lines"/> in the build's log (1 = its first line).</summary>
    public long FirstLine { get; init; }
    /// <summary>Consecutive lines, oldest first, each at most 400 characters.</summary>
    public IReadOnlyList<string> Lines { get; init; } = [];
    /// <summary>When the worker sent them.</summary>
    public DateTimeOffset LoggedAt { get; init; }
}
