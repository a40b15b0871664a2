using Messaging.Contracts;

namespace Messaging.State.Audit;

/// <summary>The message types the audit trail records, by kind: the query API accepts only these as <c>type</c>.</summary>
public static class AuditMessageTypes
{
    public const string Command = "command";
    public const string Event = "event";

    /// <summary>Commands: what was asked.</summary>
    public static IReadOnlyList<string> Commands { get; } =
        [nameof(CreateService), nameof(StopService), nameof(StartService), nameof(RestartService), nameof(RemoveService),
         nameof(CreateStack), nameof(RemoveStack), nameof(BuildImage)];

    /// <summary>Events: what happened. These are also what webhooks can subscribe to.</summary>
    public static IReadOnlyList<string> Events { get; } =
    [
        nameof(ServiceCreated), nameof(ServiceCreationFailed), nameof(ServiceStopped), nameof(ServiceStarted),
        nameof(ServiceRestarted), nameof(ServiceRemoved), nameof(ServiceCommandRejected),
        // The supervisor's own (no command asked for them).
        nameof(ServiceExited), nameof(ServiceUnhealthy), nameof(ServiceHealthy), nameof(ServiceRecovered), nameof(ServiceRestartedBySupervisor),
        nameof(ServiceCrashLooping),
        // The edge host's (a hostname's certificate could not be obtained).
        nameof(ServiceCertificateFailed),
        // The reconciler's on Swarm (issue 18): a task on another node, or none running.
        nameof(ServiceMoved), nameof(ServiceDegraded),
        // Stacks (each member's own service events are recorded as well).
        nameof(StackCreated), nameof(StackCreationFailed), nameof(StackRemoved),
        // Builds (issue 17); a running build's live log lines (ImageBuildLogged) are not recorded.
        nameof(ImageBuilt), nameof(ImageBuildFailed),
    ];

    /// <summary>Every recorded type.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>([.. Commands, .. Events], StringComparer.Ordinal);
}
