using StackExchange.Redis;

namespace Messaging.State.Audit;

/// <summary>
/// One command or event as the audit trail keeps it: who (actor), whose service (owner), what (type and the
/// message itself, as snake_case JSON) and how it links to others (command id, correlation id).
/// </summary>
public sealed record AuditEntry
{
    /// <summary>The Redis stream entry id (<c>ms-seq</c>): the order of the trail, also the SSE event id.</summary>
    public string Id { get; init; } = "";

    /// <summary>When the message was sent (its envelope's <c>sentTime</c>), or when it was recorded.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary><c>command</c> or <c>event</c>.</summary>
    public string Kind { get; init; } = "";

    /// <summary>The message type name, e.g. <c>CreateService</c>.</summary>
    public string Type { get; init; } = "";

    /// <summary>Who caused it: the message's <c>RequestedBy</c>, else the service's owner, else <c>system</c>.</summary>
    public string Actor { get; init; } = "";

    /// <summary>The service's owner when known (empty otherwise): decides who may read the entry.</summary>
    public string Owner { get; init; } = "";

    /// <summary>The service the message is about; empty for a message about a stack or a build.</summary>
    public Guid ServiceId { get; init; }

    /// <summary>The stack a stack command or event is about (<c>CreateStack</c>, <c>StackCreated</c>...); null otherwise.</summary>
    public Guid? StackId { get; init; }

    /// <summary>The build a build command or event is about (<c>BuildImage</c>, <c>ImageBuilt</c>...); null otherwise.</summary>
    public Guid? BuildId { get; init; }

    /// <summary>The command, or the command an event answers.</summary>
    public Guid CommandId { get; init; }

    /// <summary>The envelope's correlation id (MassTransit sets it to the command id), if any.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The envelope's message id, if any.</summary>
    public string? MessageId { get; init; }

    /// <summary>The message body as JSON (snake_case).</summary>
    public string Message { get; init; } = "{}";

    internal NameValueEntry[] ToStreamFields() =>
    [
        new("at", At.ToUnixTimeMilliseconds()),
        new("kind", Kind),
        new("type", Type),
        new("actor", Actor),
        new("owner", Owner),
        new("service_id", ServiceId.ToString("D")),
        new("stack_id", StackId?.ToString("D") ?? ""),
        new("build_id", BuildId?.ToString("D") ?? ""),
        new("command_id", CommandId.ToString("D")),
        new("correlation_id", CorrelationId ?? ""),
        new("message_id", MessageId ?? ""),
        new("message", Message),
    ];

    internal static AuditEntry FromStreamEntry(StreamEntry entry)
    {
        var fields = StoredFields.Of(entry);
        return new AuditEntry
        {
            Id = entry.Id.ToString(),
            At = fields.Time("at") ?? DateTimeOffset.UnixEpoch,
            Kind = fields.Text("kind") ?? "",
            Type = fields.Text("type") ?? "",
            Actor = fields.Text("actor") ?? "",
            Owner = fields.Text("owner") ?? "",
            ServiceId = fields.Guid("service_id") ?? Guid.Empty,
            StackId = fields.Guid("stack_id"),
            BuildId = fields.Guid("build_id"),
            CommandId = fields.Guid("command_id") ?? Guid.Empty,
            CorrelationId = fields.Text("correlation_id"),
            MessageId = fields.Text("message_id"),
            Message = fields.Text("message") ?? "{}",
        };
    }
}
