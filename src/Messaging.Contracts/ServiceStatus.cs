namespace Messaging.Contracts;

/// <summary>The states of a service record, as written on the wire and in the REST API.</summary>
public static class ServiceStatus
{
    /// <summary>Accepted by the API, not yet picked up by a worker.</summary>
    public const string Pending = "pending";
    /// <summary>A worker is creating the container.</summary>
    public const string Creating = "creating";
    /// <summary>The container runs.</summary>
    public const string Running = "running";
    /// <summary>
    /// The container kept exiting (or failing its health check) and the supervisor gave up restarting it: more than
    /// the service's <c>max_restarts</c> within the restart window. A user's start, restart, stop or remove applies.
    /// </summary>
    public const string CrashLooping = "crash_looping";
    /// <summary>The container is stopped.</summary>
    public const string Stopped = "stopped";
    /// <summary>Creation failed; see the failure code.</summary>
    public const string Failed = "failed";
    /// <summary>Removal in progress.</summary>
    public const string Removing = "removing";
    /// <summary>The container is gone.</summary>
    public const string Removed = "removed";
}
