namespace Messaging.Contracts;

/// <summary>
/// Asks the worker (request/response) for the last lines of a service's container output.
/// Answered by <see cref="ServiceLogs"/> or <see cref="ServiceLogsUnavailable"/>.
/// </summary>
public sealed record GetServiceLogs
{
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>How many lines from the end (the worker caps it).</summary>
    public int Tail { get; init; }
}

/// <summary>The last lines a container wrote, stdout and stderr interleaved as Docker stored them.</summary>
public sealed record ServiceLogs
{
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>The lines, oldest first.</summary>
    public IReadOnlyList<string> Lines { get; init; } = [];
}

/// <summary>The logs could not be read; <see cref="Reason"/> is <c>not_found</c>, <c>docker_unavailable</c> or <c>docker_error</c>.</summary>
public sealed record ServiceLogsUnavailable
{
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>A code from <see cref="RejectionReasons"/>.</summary>
    public string Reason { get; init; } = "";
    /// <summary>A message for humans.</summary>
    public string Message { get; init; } = "";
}
