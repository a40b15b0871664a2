using System.Globalization;
using Messaging.Contracts;
using StackExchange.Redis;

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
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The record a create command starts: the API writes it <c>pending</c>, the worker <c>creating</c>.</summary>
    public static ServiceRecord ForCommand(CreateService command, string status, DateTimeOffset now) => new()
    {
        ServiceId = command.ServiceId,
        CommandId = command.CommandId,
        Name = command.ServiceName,
        Image = command.Image,
        Owner = command.RequestedBy,
        Status = status,
        MemoryLimit = command.MemoryLimit,
        CpuLimit = command.CpuLimit,
        InternalPort = command.InternalPort,
        CreatedAt = now,
        UpdatedAt = now,
    };

    internal HashEntry[] ToHashEntries()
    {
        var entries = new List<HashEntry>
        {
            new("service_id", ServiceId.ToString("D")),
            new("command_id", CommandId.ToString("D")),
            new("name", Name),
            new("image", Image),
            new("owner", Owner),
            new("status", Status),
            new("memory_limit", MemoryLimit),
            new("memory_bytes", MemoryBytes),
            new("cpu_limit", CpuLimit.ToString("R", CultureInfo.InvariantCulture)),
            new("created_at", CreatedAt.ToUnixTimeMilliseconds()),
            new("updated_at", UpdatedAt.ToUnixTimeMilliseconds()),
        };
        if (InternalPort is { } internalPort) entries.Add(new("internal_port", internalPort));
        if (HostPort is { } hostPort) entries.Add(new("host_port", hostPort));
        if (Host is not null) entries.Add(new("host", Host));
        if (ContainerId is not null) entries.Add(new("container_id", ContainerId));
        if (FailureCode is not null) entries.Add(new("failure_code", FailureCode));
        if (FailureMessage is not null) entries.Add(new("failure_message", FailureMessage));
        return [.. entries];
    }

    internal static ServiceRecord? FromHashEntries(HashEntry[] entries)
    {
        if (entries.Length == 0)
            return null;
        var map = entries.ToDictionary(e => e.Name.ToString(), e => e.Value);
        string? Text(string key) => map.TryGetValue(key, out var v) && !v.IsNullOrEmpty ? v.ToString() : null;
        int? Int(string key) => int.TryParse(Text(key), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
        long Long(string key) => long.TryParse(Text(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : 0;

        return new ServiceRecord
        {
            ServiceId = Guid.TryParse(Text("service_id"), out var id) ? id : Guid.Empty,
            CommandId = Guid.TryParse(Text("command_id"), out var commandId) ? commandId : Guid.Empty,
            Name = Text("name") ?? "",
            Image = Text("image") ?? "",
            Owner = Text("owner") ?? "",
            Status = Text("status") ?? "",
            MemoryLimit = Text("memory_limit") ?? "",
            MemoryBytes = Long("memory_bytes"),
            CpuLimit = double.TryParse(Text("cpu_limit"), NumberStyles.Float, CultureInfo.InvariantCulture, out var cpu) ? cpu : 0,
            InternalPort = Int("internal_port"),
            HostPort = Int("host_port"),
            Host = Text("host"),
            ContainerId = Text("container_id"),
            FailureCode = Text("failure_code"),
            FailureMessage = Text("failure_message"),
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Long("created_at")),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Long("updated_at")),
        };
    }
}
