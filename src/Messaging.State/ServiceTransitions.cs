using Messaging.Contracts;

namespace Messaging.State;

/// <summary>
/// The service state machine: which status may follow which. Every status write in the worker goes
/// through <see cref="ServiceRecordStore.TransitionAsync"/>, which refuses anything not listed here.
/// </summary>
public static class ServiceTransitions
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        [ServiceStatus.Pending] = [ServiceStatus.Creating, ServiceStatus.Failed],
        [ServiceStatus.Creating] = [ServiceStatus.Running, ServiceStatus.Failed],
        // Running -> crash_looping: the supervisor gave up restarting it; a user's start or restart runs it again.
        [ServiceStatus.Running] = [ServiceStatus.Stopped, ServiceStatus.Running, ServiceStatus.Removing, ServiceStatus.CrashLooping],
        [ServiceStatus.Stopped] = [ServiceStatus.Running, ServiceStatus.Removing],
        [ServiceStatus.CrashLooping] = [ServiceStatus.Running, ServiceStatus.Stopped, ServiceStatus.Removing],
        [ServiceStatus.Failed] = [ServiceStatus.Removing],
        // A removal the engine refused goes back to where it was.
        [ServiceStatus.Removing] = [ServiceStatus.Removed, ServiceStatus.Running, ServiceStatus.Stopped, ServiceStatus.Failed, ServiceStatus.CrashLooping],
        [ServiceStatus.Removed] = [],
    };

    public static bool IsAllowed(string from, string to) => Allowed.TryGetValue(from, out var next) && next.Contains(to);

    /// <summary>The statuses from which a status may be entered.</summary>
    public static string[] From(string to) => [.. Allowed.Where(pair => pair.Value.Contains(to)).Select(pair => pair.Key)];

    /// <summary>Statuses in which each lifecycle command applies.</summary>
    public static IReadOnlyList<string> AcceptedBy(string command) => command switch
    {
        // A crash-looping service's container is not running: stop makes that the user's choice (never restarted
        // again), start and restart run it again with a fresh restart budget.
        nameof(StopService) => [ServiceStatus.Running, ServiceStatus.CrashLooping],
        nameof(StartService) => [ServiceStatus.Stopped, ServiceStatus.CrashLooping],
        nameof(RestartService) => [ServiceStatus.Running, ServiceStatus.Stopped, ServiceStatus.CrashLooping],
        // Removing too: a removal cut short (crash, shutdown, Redis error between the status write and the engine
        // call) is resumed by its redelivery or by a new RemoveService, never refused as wrong state.
        nameof(RemoveService) => [ServiceStatus.Running, ServiceStatus.Stopped, ServiceStatus.Failed, ServiceStatus.Removing, ServiceStatus.CrashLooping],
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not a lifecycle command."),
    };

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(Allowed.Keys);
}
