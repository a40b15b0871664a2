using System.Globalization;
using Messaging.Contracts;
using StackExchange.Redis;

using F = Messaging.State.ServiceRecordFields;

namespace Messaging.State;

/// <summary>A service as stored in Redis: what the worker knows and the API shows.</summary>
public sealed record ServiceRecord
{
    public Guid ServiceId { get; init; }
    public Guid CommandId { get; init; }
    public string Name { get; init; } = "";
    public string Image { get; init; } = "";
    public string Owner { get; init; } = "";
    public string Status { get; init; } = "";
    public string MemoryLimit { get; init; } = "";
    public long MemoryBytes { get; init; }
    public double CpuLimit { get; init; }
    public int? InternalPort { get; init; }
    public int? HostPort { get; init; }
    public string? Host { get; init; }
    public string? ContainerId { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }

    /// <summary>
    /// A pending record whose command the broker has not (yet) confirmed. The API writes pending records
    /// with it and clears it on the confirm; a worker's claim clears it too. The reconciler fails a record
    /// still unconfirmed and unclaimed after <c>Reconciler:UnconfirmedPendingExpiry</c> (<c>not_delivered</c>).
    /// </summary>
    public bool Unconfirmed { get; init; }

    /// <summary>
    /// The RemoveService that started the removal of a record in <c>removing</c>, and who sent it. A removal cut short
    /// (crash, shutdown, Redis error between the status write and the engine call) is finished by a redelivery or by
    /// the reconciler; either way that command gets its <c>ServiceRemoved</c>.
    /// </summary>
    public Guid? RemovalCommandId { get; init; }
    public string? RemovalRequestedBy { get; init; }

    /// <summary>Extra hostnames the edge serves the service at, besides <c>{name}.{Edge:BaseDomain}</c> (reserved in <see cref="RedisKeys.Hostnames"/>).</summary>
    public IReadOnlyList<string> Hostnames { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The stack the service is a member of (issue 16), or null for a plain service.</summary>
    public Guid? StackId { get; init; }

    /// <summary>
    /// On Swarm: when the reconciler found the running service without a running task and announced it (ServiceDegraded).
    /// Written with <see cref="UpdatedAt"/> equal to it, so any later change of the record (a command's transition, the
    /// task found running again) leaves it older than <see cref="UpdatedAt"/> and the mark void without every writer
    /// having to clear it.
    /// </summary>
    public DateTimeOffset? DegradedAt { get; init; }

    /// <summary>Whether the service is degraded now: marked, and unchanged since (see <see cref="DegradedAt"/>).</summary>
    public bool IsDegraded => Status == ServiceStatus.Running && DegradedAt is { } at && at >= UpdatedAt;

    /// <summary>One of <see cref="ServiceHealth"/>; null on records from before supervision (read as <c>none</c>).</summary>
    public string? Health { get; init; }

    /// <summary>
    /// The health to show: what the supervisor last saw while the service runs, <c>none</c> otherwise (a stopped,
    /// failed or crash-looping service has no container running a check, whatever was seen before).
    /// </summary>
    public string CurrentHealth => Status == ServiceStatus.Running ? Health ?? ServiceHealth.None : ServiceHealth.None;

    /// <summary>Restarts the supervisor made over the service's life.</summary>
    public int RestartCount { get; init; }

    /// <summary>How the container last exited on its own, if it did.</summary>
    public ExitRecord? LastExit { get; init; }

    /// <summary>The container's last log lines, kept when it was found crash-looping.</summary>
    public string? LogTail { get; init; }

    /// <summary>The create request's overrides of its allowlist entry's policy (null: the entry's default).</summary>
    public SupervisionOverrides Overrides { get; init; } = SupervisionOverrides.None;

    /// <summary>The supervisor's bookkeeping: restarts in the current window and a restart it has scheduled.</summary>
    public RestartState Restarts { get; init; } = RestartState.Initial;

    /// <summary>The record a create command starts: the API writes it <c>pending</c>, the worker <c>creating</c>.</summary>
    public static ServiceRecord ForCommand(CreateService command, string status, DateTimeOffset now) => new()
    {
        ServiceId = command.ServiceId,
        CommandId = command.CommandId,
        Name = command.ServiceName,
        Image = command.Image,
        Owner = command.RequestedBy,
        Status = status,
        // Empty and 0 until the worker applies the image's defaults to a command that named no limits.
        MemoryLimit = command.MemoryLimit ?? "",
        CpuLimit = command.CpuLimit ?? 0,
        InternalPort = command.InternalPort,
        Overrides = new SupervisionOverrides(command.Restart, command.MaxRestarts, command.OnUnhealthy),
        Hostnames = command.Hostnames ?? [],
        CreatedAt = now,
        UpdatedAt = now,
    };

    internal HashEntry[] ToHashEntries()
    {
        var entries = new List<HashEntry>
        {
            new(F.ServiceId, ServiceId.ToString("D")),
            new(F.CommandId, CommandId.ToString("D")),
            new(F.Name, Name),
            new(F.Image, Image),
            new(F.Owner, Owner),
            new(F.Status, Status),
            new(F.MemoryLimit, MemoryLimit),
            new(F.MemoryBytes, MemoryBytes),
            new(F.CpuLimit, CpuLimit.ToString("R", CultureInfo.InvariantCulture)),
            new(F.CreatedAt, CreatedAt.ToUnixTimeMilliseconds()),
            new(F.UpdatedAt, UpdatedAt.ToUnixTimeMilliseconds()),
        };
        if (InternalPort is { } internalPort) entries.Add(new(F.InternalPort, internalPort));
        if (HostPort is { } hostPort) entries.Add(new(F.HostPort, hostPort));
        if (Host is not null) entries.Add(new(F.Host, Host));
        if (ContainerId is not null) entries.Add(new(F.ContainerId, ContainerId));
        if (FailureCode is not null) entries.Add(new(F.FailureCode, FailureCode));
        if (FailureMessage is not null) entries.Add(new(F.FailureMessage, FailureMessage));
        if (Unconfirmed) entries.Add(new(F.Unconfirmed, 1));
        if (RemovalCommandId is { } removal) entries.Add(new(F.RemovalCommandId, removal.ToString("D")));
        if (RemovalRequestedBy is not null) entries.Add(new(F.RemovalRequestedBy, RemovalRequestedBy));
        if (Health is not null) entries.Add(new(F.Health, Health));
        if (RestartCount != 0) entries.Add(new(F.RestartCount, RestartCount));
        if (LastExit is { } exit)
        {
            entries.Add(new(F.LastExitCode, exit.Code));
            entries.Add(new(F.LastExitOom, exit.Oom ? 1 : 0));
            entries.Add(new(F.LastExitAt, exit.At.ToUnixTimeMilliseconds()));
        }
        if (LogTail is not null) entries.Add(new(F.LogTail, LogTail));
        if (Overrides.Restart is not null) entries.Add(new(F.RestartPolicy, Overrides.Restart));
        if (Overrides.MaxRestarts is { } max) entries.Add(new(F.MaxRestarts, max));
        if (Overrides.OnUnhealthy is not null) entries.Add(new(F.OnUnhealthy, Overrides.OnUnhealthy));
        if (Restarts.Attempts != 0) entries.Add(new(F.RestartAttempts, Restarts.Attempts));
        if (Restarts.WindowStartedAt is { } window) entries.Add(new(F.RestartWindowStartedAt, window.ToUnixTimeMilliseconds()));
        if (Restarts.NextAt is { } next)
        {
            entries.Add(new(F.NextRestartAt, next.ToUnixTimeMilliseconds()));
            entries.Add(new(F.NextRestartReason, Restarts.NextReason ?? ""));
            entries.Add(new(F.NextRestartDelayMs, (long)Restarts.NextDelay.TotalMilliseconds));
        }
        if (Hostnames.Count > 0) entries.Add(new(F.Hostnames, string.Join(' ', Hostnames)));
        if (StackId is { } stackId) entries.Add(new(F.StackId, stackId.ToString("D")));
        if (DegradedAt is { } degraded) entries.Add(new(F.DegradedAt, degraded.ToUnixTimeMilliseconds()));
        return [.. entries];
    }

    internal static ServiceRecord? FromHashEntries(HashEntry[] entries)
    {
        if (entries.Length == 0)
            return null;
        var fields = StoredFields.Of(entries);
        return new ServiceRecord
        {
            ServiceId = fields.Guid(F.ServiceId) ?? Guid.Empty,
            CommandId = fields.Guid(F.CommandId) ?? Guid.Empty,
            Name = fields.Text(F.Name) ?? "",
            Image = fields.Text(F.Image) ?? "",
            Owner = fields.Text(F.Owner) ?? "",
            Status = fields.Text(F.Status) ?? "",
            MemoryLimit = fields.Text(F.MemoryLimit) ?? "",
            MemoryBytes = fields.Long(F.MemoryBytes) ?? 0,
            CpuLimit = fields.Double(F.CpuLimit) ?? 0,
            InternalPort = fields.Int(F.InternalPort),
            HostPort = fields.Int(F.HostPort),
            Host = fields.Text(F.Host),
            ContainerId = fields.Text(F.ContainerId),
            FailureCode = fields.Text(F.FailureCode),
            FailureMessage = fields.Text(F.FailureMessage),
            Unconfirmed = fields.Text(F.Unconfirmed) == "1",
            RemovalCommandId = fields.Guid(F.RemovalCommandId),
            RemovalRequestedBy = fields.Text(F.RemovalRequestedBy),
            Hostnames = fields.Text(F.Hostnames)?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [],
            CreatedAt = fields.Time(F.CreatedAt) ?? DateTimeOffset.UnixEpoch,
            UpdatedAt = fields.Time(F.UpdatedAt) ?? DateTimeOffset.UnixEpoch,
            StackId = fields.Guid(F.StackId),
            DegradedAt = fields.Time(F.DegradedAt),
            Health = fields.Text(F.Health),
            RestartCount = fields.Int(F.RestartCount) ?? 0,
            LastExit = fields.Long(F.LastExitCode) is { } code
                ? new ExitRecord(code, fields.Text(F.LastExitOom) == "1", fields.Time(F.LastExitAt) ?? DateTimeOffset.UnixEpoch)
                : null,
            LogTail = fields.Text(F.LogTail),
            Overrides = new SupervisionOverrides(fields.Text(F.RestartPolicy), fields.Int(F.MaxRestarts), fields.Text(F.OnUnhealthy)),
            Restarts = new RestartState(fields.Int(F.RestartAttempts) ?? 0, fields.Time(F.RestartWindowStartedAt), fields.Time(F.NextRestartAt),
                fields.Text(F.NextRestartReason), TimeSpan.FromMilliseconds(fields.Long(F.NextRestartDelayMs) ?? 0)),
        };
    }
}

/// <summary>How a container exited: its code, whether the OOM killer ended it, and when.</summary>
public sealed record ExitRecord(long Code, bool Oom, DateTimeOffset At);

/// <summary>What a create request set of the supervision policy; null fields take the allowlist entry's default.</summary>
public sealed record SupervisionOverrides(string? Restart, int? MaxRestarts, string? OnUnhealthy)
{
    public static SupervisionOverrides None { get; } = new(null, null, null);
}

/// <summary>
/// The supervisor's bookkeeping on a record: <paramref name="Attempts"/> restarts since <paramref name="WindowStartedAt"/>,
/// and a restart it decided on, due at <paramref name="NextAt"/> (why, and after what delay). Kept in Redis so that another
/// worker, or this one after a crash, carries out a scheduled restart once and only once.
/// </summary>
public sealed record RestartState(int Attempts, DateTimeOffset? WindowStartedAt, DateTimeOffset? NextAt, string? NextReason, TimeSpan NextDelay)
{
    public static RestartState Initial { get; } = new(0, null, null, null, TimeSpan.Zero);
}
