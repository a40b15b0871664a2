namespace Messaging.State;

/// <summary>
/// The hash fields of a service record (<see cref="RedisKeys.Service"/>). The record scripts name some of them
/// in Lua; a unit test checks that every field a script names is one of these.
/// </summary>
internal static class ServiceRecordFields
{
    public const string ServiceId = "service_id";
    public const string CommandId = "command_id";
    public const string Name = "name";
    public const string Image = "image";
    public const string Owner = "owner";
    public const string Status = "status";
    public const string MemoryLimit = "memory_limit";
    public const string MemoryBytes = "memory_bytes";
    public const string CpuLimit = "cpu_limit";
    public const string InternalPort = "internal_port";
    public const string HostPort = "host_port";
    public const string Host = "host";
    public const string ContainerId = "container_id";
    public const string FailureCode = "failure_code";
    public const string FailureMessage = "failure_message";
    public const string CreatedAt = "created_at";
    public const string UpdatedAt = "updated_at";
    /// <summary>"1" on a pending record whose command the broker has not confirmed (see <see cref="ServiceRecord.Unconfirmed"/>).</summary>
    public const string Unconfirmed = "unconfirmed";
    /// <summary>The RemoveService that moved the record to <c>removing</c>, and who sent it: whoever finishes an interrupted removal answers that command.</summary>
    public const string RemovalCommandId = "removal_command_id";
    public const string RemovalRequestedBy = "removal_requested_by";
    /// <summary>The extra hostnames asked for at creation, space-separated (the edge also serves {name}.{base domain}).</summary>
    public const string Hostnames = "hostnames";
    /// <summary>The stack the service is a member of (issue 16); absent on plain services.</summary>
    public const string StackId = "stack_id";
    /// <summary>On Swarm: when the reconciler last found the running service without a running task (see <see cref="ServiceRecord.IsDegraded"/>).</summary>
    public const string DegradedAt = "degraded_at";

    // Supervision (issue 14): what the supervisor saw and decided, and the request's overrides of the entry's policy.
    public const string Health = "health";
    public const string RestartCount = "restart_count";
    public const string LastExitCode = "last_exit_code";
    public const string LastExitOom = "last_exit_oom";
    public const string LastExitAt = "last_exit_at";
    public const string LogTail = "log_tail";
    public const string RestartPolicy = "restart_policy";
    public const string MaxRestarts = "max_restarts";
    public const string OnUnhealthy = "on_unhealthy";
    /// <summary>Restarts in the current window (the backoff exponent and the crash-loop count).</summary>
    public const string RestartAttempts = "restart_attempts";
    public const string RestartWindowStartedAt = "restart_window_started_at";
    /// <summary>When a restart the supervisor decided on is due (empty: none pending).</summary>
    public const string NextRestartAt = "next_restart_at";
    /// <summary>Why that restart: <c>exited</c> or <c>unhealthy</c>; and the delay it waits.</summary>
    public const string NextRestartReason = "next_restart_reason";
    public const string NextRestartDelayMs = "next_restart_delay_ms";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>
    {
        ServiceId, CommandId, Name, Image, Owner, Status, MemoryLimit, MemoryBytes, CpuLimit, InternalPort, HostPort, Host,
        ContainerId, FailureCode, FailureMessage, CreatedAt, UpdatedAt, Unconfirmed, RemovalCommandId, RemovalRequestedBy, Hostnames, StackId, DegradedAt,
        Health, RestartCount, LastExitCode, LastExitOom, LastExitAt, LogTail, RestartPolicy, MaxRestarts, OnUnhealthy,
        RestartAttempts, RestartWindowStartedAt, NextRestartAt, NextRestartReason, NextRestartDelayMs,
    };
}
