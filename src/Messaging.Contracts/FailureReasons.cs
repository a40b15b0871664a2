namespace Messaging.Contracts;

/// <summary>
/// The closed set of reason codes carried by failure events. Subscribers may switch on them;
/// a new code is a contract change.
/// </summary>
public static class FailureReasons
{
    /// <summary>The command is malformed (bad name, memory, CPU, port, env...).</summary>
    public const string InvalidCommand = "invalid_command";
    /// <summary>The image is not on the allowlist.</summary>
    public const string ImageNotAllowed = "image_not_allowed";
    /// <summary>A memory or CPU limit is above the image's or the global cap.</summary>
    public const string LimitExceeded = "limit_exceeded";
    /// <summary>The owner's quota would be exceeded.</summary>
    public const string QuotaExceeded = "quota_exceeded";
    /// <summary>The service name is taken.</summary>
    public const string NameConflict = "name_conflict";
    /// <summary>No host port is free in the configured range.</summary>
    public const string PortsExhausted = "ports_exhausted";
    /// <summary>The Docker engine could not be reached.</summary>
    public const string DockerUnavailable = "docker_unavailable";
    /// <summary>The Docker engine refused or failed the operation.</summary>
    public const string DockerError = "docker_error";
    /// <summary>
    /// The broker never confirmed the create command and no worker received it before the reconciler's expiry:
    /// nothing was created. Added after the first eight; subscribers must tolerate codes they do not know.
    /// </summary>
    public const string NotDelivered = "not_delivered";
    /// <summary>
    /// The worker's host budget (the memory or CPU it may hand out over all services) would be exceeded: nothing
    /// was reserved. Added after <see cref="NotDelivered"/>; subscribers must tolerate codes they do not know.
    /// </summary>
    public const string HostCapacity = "host_capacity";

    /// <summary>
    /// An extra hostname is outside the operator's allowed suffixes (<c>Edge:AllowedSuffixes</c>), or is a name the edge
    /// keeps for itself (a service's <c>{name}.{base domain}</c>, the API's). Added with issue 15.
    /// </summary>
    public const string HostnameNotAllowed = "hostname_not_allowed";
    /// <summary>An extra hostname is held by another service. Added with issue 15.</summary>
    public const string HostnameConflict = "hostname_conflict";

    /// <summary>Every code, for validation and documentation.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        InvalidCommand, ImageNotAllowed, LimitExceeded, QuotaExceeded,
        NameConflict, PortsExhausted, DockerUnavailable, DockerError, NotDelivered, HostCapacity,
        HostnameNotAllowed, HostnameConflict,
    };
}
