namespace Messaging.Contracts;

/// <summary>The closed set of reason codes of <see cref="ServiceCommandRejected"/>.</summary>
public static class RejectionReasons
{
    /// <summary>The command is malformed (empty ids, bad requester).</summary>
    public const string InvalidCommand = "invalid_command";
    /// <summary>No such service.</summary>
    public const string NotFound = "not_found";
    /// <summary>The service's status does not allow the command (e.g. start while running).</summary>
    public const string WrongState = "wrong_state";
    /// <summary>The Docker engine could not be reached; the service is unchanged.</summary>
    public const string DockerUnavailable = "docker_unavailable";
    /// <summary>The Docker engine refused; the service is unchanged.</summary>
    public const string DockerError = "docker_error";

    /// <summary>Every code.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        InvalidCommand, NotFound, WrongState, DockerUnavailable, DockerError,
    };
}
