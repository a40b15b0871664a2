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

    public static IReadOnlySet<string> All { get; } = new HashSet<string>
    {
        ServiceId, CommandId, Name, Image, Owner, Status, MemoryLimit, MemoryBytes, CpuLimit, InternalPort, HostPort, Host,
        ContainerId, FailureCode, FailureMessage, CreatedAt, UpdatedAt, Unconfirmed, RemovalCommandId, RemovalRequestedBy,
    };
}
