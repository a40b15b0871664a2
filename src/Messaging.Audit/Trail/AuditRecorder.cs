using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Audit;
using Messaging.State.Stacks;

namespace Messaging.Audit.Trail;

/// <summary>
/// Turns a consumed command or event into an <see cref="AuditEntry"/>: works out the actor and the owner
/// and appends it to the trail.
/// </summary>
public sealed class AuditRecorder(AuditStore trail, ServiceRecordStore records, StackStore stacks, TimeProvider clock, ILogger<AuditRecorder> logger)
{
    /// <summary>The actor of messages that name no one and whose service has no known owner.</summary>
    public const string SystemActor = "system";

    /// <summary>Appends <paramref name="context"/>'s command or event to the trail, unless it is a redelivery of one already there.</summary>
    public async Task RecordAsync<T>(ConsumeContext<T> context) where T : class
    {
        var (kind, serviceId, stackId, commandId, requestedBy, ownerHint) = Describe(context.Message);
        // A build's messages name their build; its owner is the one they name (the worker's verified one on the events).
        var buildId = context.Message switch { IBuildCommand c => c.BuildId, IBuildEvent e => e.BuildId, _ => (Guid?)null };
        using var activity = AuditTelemetry.Source.StartActivity("audit append");
        activity?.SetTag("messaging.message_type", typeof(T).Name);
        activity?.SetTag("messaging.service_id", serviceId.ToString("D"));
        if (stackId is not null)
            activity?.SetTag("messaging.stack_id", stackId.Value.ToString("D"));
        // The record's owner wins: a command may name anyone, but the service (stack) belongs to whoever created it.
        var owner = stackId is { } stack ? (await stacks.GetAsync(stack))?.Owner
            : serviceId == Guid.Empty ? null : (await records.GetAsync(serviceId))?.Owner;
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
            StackId = stackId,
            BuildId = buildId,
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
    /// What the trail needs from a message, by its shape: its kind, its service or stack and command, who asked (the
    /// actor, when the message names one) and an owner the message itself names (used while there is no record).
    /// </summary>
    private static (string Kind, Guid ServiceId, Guid? StackId, Guid CommandId, string? RequestedBy, string? OwnerHint) Describe(object message) => message switch
    {
        // Whoever asks for a service becomes its owner.
        CreateService create => (AuditMessageTypes.Command, create.ServiceId, null, create.CommandId, create.RequestedBy, create.RequestedBy),
        IServiceCommand command => (AuditMessageTypes.Command, command.ServiceId, null, command.CommandId, command.RequestedBy, null),
        // ServiceCreated names no requester, but its owner is the one who asked for it.
        ServiceCreated created => (AuditMessageTypes.Event, created.ServiceId, null, created.CommandId, created.Owner, created.Owner),
        IServiceLifecycleEvent done => (AuditMessageTypes.Event, done.ServiceId, null, done.CommandId, done.RequestedBy, null),
        // Failures and rejections name no one: the actor is the owner, else the system.
        IServiceEvent other => (AuditMessageTypes.Event, other.ServiceId, null, other.CommandId, null, null),
        // Stacks likewise: whoever asks for one owns it (and every member); StackCreated names its owner.
        CreateStack create => (AuditMessageTypes.Command, Guid.Empty, create.StackId, create.CommandId, create.RequestedBy, create.RequestedBy),
        IStackCommand command => (AuditMessageTypes.Command, Guid.Empty, command.StackId, command.CommandId, command.RequestedBy, null),
        StackCreated created => (AuditMessageTypes.Event, Guid.Empty, created.StackId, created.CommandId, created.Owner, created.Owner),
        IStackEvent other => (AuditMessageTypes.Event, Guid.Empty, other.StackId, other.CommandId, null, null),
        // Builds: whoever asks owns the build; the outcome names the verified owner (empty when it was unverifiable).
        IBuildCommand build => (AuditMessageTypes.Command, Guid.Empty, null, build.CommandId, build.RequestedBy, build.RequestedBy),
        IBuildEvent built => (AuditMessageTypes.Event, Guid.Empty, null, built.CommandId, null, built.Owner),
        _ => throw new ArgumentException($"{message.GetType().Name} is no service, stack or build command or event.", nameof(message)),
    };
}
