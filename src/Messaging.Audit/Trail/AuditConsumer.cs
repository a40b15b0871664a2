using MassTransit;
using Messaging.Contracts;
using Messaging.State.Audit;

namespace Messaging.Audit.Trail;

/// <summary>
/// Records every command and event (the five commands, the seven events) from the queue <c>audit</c>,
/// which is bound to each of their exchanges.
/// </summary>
public sealed class AuditConsumer(AuditRecorder recorder) :
    IConsumer<CreateService>, IConsumer<StopService>, IConsumer<StartService>, IConsumer<RestartService>, IConsumer<RemoveService>,
    IConsumer<ServiceCreated>, IConsumer<ServiceCreationFailed>, IConsumer<ServiceStopped>, IConsumer<ServiceStarted>,
    IConsumer<ServiceRestarted>, IConsumer<ServiceRemoved>, IConsumer<ServiceCommandRejected>
{
    private const string Command = AuditMessageTypes.Command;
    private const string Event = AuditMessageTypes.Event;

    public Task Consume(ConsumeContext<CreateService> c) =>
        recorder.RecordAsync(c, Command, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy, ownerHint: c.Message.RequestedBy);

    public Task Consume(ConsumeContext<StopService> c) =>
        recorder.RecordAsync(c, Command, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    public Task Consume(ConsumeContext<StartService> c) =>
        recorder.RecordAsync(c, Command, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    public Task Consume(ConsumeContext<RestartService> c) =>
        recorder.RecordAsync(c, Command, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    public Task Consume(ConsumeContext<RemoveService> c) =>
        recorder.RecordAsync(c, Command, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    // ServiceCreated names no requester, but its owner is the one who asked for it.
    public Task Consume(ConsumeContext<ServiceCreated> c) =>
        recorder.RecordAsync(c, Event, c.Message.ServiceId, c.Message.CommandId, c.Message.Owner, ownerHint: c.Message.Owner);

    public Task Consume(ConsumeContext<ServiceCreationFailed> c) =>
        recorder.RecordAsync(c, Event, c.Message.ServiceId, c.Message.CommandId, requestedBy: null);

    public Task Consume(ConsumeContext<ServiceStopped> c) =>
        recorder.RecordAsync(c, Event, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    public Task Consume(ConsumeContext<ServiceStarted> c) =>
        recorder.RecordAsync(c, Event, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    public Task Consume(ConsumeContext<ServiceRestarted> c) =>
        recorder.RecordAsync(c, Event, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    public Task Consume(ConsumeContext<ServiceRemoved> c) =>
        recorder.RecordAsync(c, Event, c.Message.ServiceId, c.Message.CommandId, c.Message.RequestedBy);

    public Task Consume(ConsumeContext<ServiceCommandRejected> c) =>
        recorder.RecordAsync(c, Event, c.Message.ServiceId, c.Message.CommandId, requestedBy: null);
}
