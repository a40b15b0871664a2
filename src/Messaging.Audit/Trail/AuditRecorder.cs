using MassTransit;
using Messaging.State;
using Messaging.State.Audit;

namespace Messaging.Audit.Trail;

/// <summary>
/// Turns a consumed command or event into an <see cref="AuditEntry"/>: works out the actor and the owner
/// and appends it to the trail.
/// </summary>
public sealed class AuditRecorder(AuditStore trail, ServiceRecordStore records, TimeProvider clock, ILogger<AuditRecorder> logger)
{
    /// <summary>The actor of messages that name no one and whose service has no known owner.</summary>
    public const string SystemActor = "system";

    /// <param name="context">The consumed message and its envelope.</param>
    /// <param name="kind"><see cref="AuditMessageTypes.Command"/> or <see cref="AuditMessageTypes.Event"/>.</param>
    /// <param name="serviceId">The service the message is about.</param>
    /// <param name="commandId">The command (or the command an event answers).</param>
    /// <param name="requestedBy">The message's <c>RequestedBy</c>, when it has one: the actor.</param>
    /// <param name="ownerHint">An owner the message itself names, used when the service has no record (yet).</param>
    public async Task RecordAsync<T>(ConsumeContext<T> context, string kind, Guid serviceId, Guid commandId,
        string? requestedBy, string? ownerHint = null) where T : class
    {
        using var activity = AuditTelemetry.Source.StartActivity("audit append");
        activity?.SetTag("messaging.message_type", typeof(T).Name);
        activity?.SetTag("messaging.service_id", serviceId.ToString("D"));
        // The record's owner wins: a command may name anyone, but the service belongs to whoever created it.
        var owner = serviceId == Guid.Empty ? null : (await records.GetAsync(serviceId))?.Owner;
        owner = !string.IsNullOrEmpty(owner) ? owner : ownerHint ?? "";
        var actor = !string.IsNullOrEmpty(requestedBy) ? requestedBy : !string.IsNullOrEmpty(owner) ? owner : SystemActor;

        var entry = new AuditEntry
        {
            At = context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : clock.GetUtcNow(),
            Kind = kind,
            Type = typeof(T).Name,
            Actor = actor,
            Owner = owner,
            ServiceId = serviceId,
            CommandId = commandId,
            // MassTransit sets the correlation id of commands and of the events they cause to the command id.
            CorrelationId = (context.CorrelationId ?? (commandId == Guid.Empty ? null : commandId))?.ToString("D"),
            MessageId = context.MessageId?.ToString("D"),
            Message = MessageJson.Serialize(context.Message),
        };
        var id = await trail.AppendAsync(entry, context.MessageId);
        activity?.SetTag("messaging.audit.redelivery", id is null);
        if (id is null)
            logger.LogDebug("{Type} {MessageId} was already recorded (redelivery)", entry.Type, entry.MessageId);
    }
}
