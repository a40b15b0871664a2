using MassTransit;
using Messaging.Contracts;
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

    /// <summary>Appends <paramref name="context"/>'s command or event to the trail, unless it is a redelivery of one already there.</summary>
    public async Task RecordAsync<T>(ConsumeContext<T> context) where T : class
    {
        var (kind, serviceId, commandId, requestedBy, ownerHint) = Describe(context.Message);
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

    /// <summary>
    /// What the trail needs from a message, by its shape: its kind, its service and command, who asked (the actor,
    /// when the message names one) and an owner the message itself names (used while the service has no record).
    /// </summary>
    private static (string Kind, Guid ServiceId, Guid CommandId, string? RequestedBy, string? OwnerHint) Describe(object message) => message switch
    {
        // Whoever asks for a service becomes its owner.
        CreateService create => (AuditMessageTypes.Command, create.ServiceId, create.CommandId, create.RequestedBy, create.RequestedBy),
        IServiceCommand command => (AuditMessageTypes.Command, command.ServiceId, command.CommandId, command.RequestedBy, null),
        // ServiceCreated names no requester, but its owner is the one who asked for it.
        ServiceCreated created => (AuditMessageTypes.Event, created.ServiceId, created.CommandId, created.Owner, created.Owner),
        IServiceLifecycleEvent done => (AuditMessageTypes.Event, done.ServiceId, done.CommandId, done.RequestedBy, null),
        // Failures and rejections name no one: the actor is the owner, else the system.
        IServiceEvent other => (AuditMessageTypes.Event, other.ServiceId, other.CommandId, null, null),
        _ => throw new ArgumentException($"{message.GetType().Name} is neither a service command nor a service event.", nameof(message)),
    };
}
