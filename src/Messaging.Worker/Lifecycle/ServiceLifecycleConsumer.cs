using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.State.Locks;
using Messaging.State.Outcomes;
using Messaging.Worker.Identity;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// Stop, start, restart and remove: one handler for the four lifecycle commands, registered once per command
/// with that command's <see cref="ILifecycleAction{TCommand}"/> (<see cref="ServiceLifecycleRegistration"/>).
/// One command per service at a time (<see cref="ServiceLocks"/>); each ends in exactly one event, stored so that
/// a redelivery or duplicate publishes it again. A command the service's status does not allow is rejected with
/// an event, never retried.
/// </summary>
public sealed class ServiceLifecycleConsumer<TCommand>(
    ILifecycleAction<TCommand> action,
    ServiceRecordStore records,
    ServiceLocks locks,
    CommandOutcomes outcomes,
    CommandIdentity identity,
    TimeProvider clock,
    ILogger<ServiceLifecycleConsumer<TCommand>> logger)
    : IConsumer<TCommand>
    where TCommand : class, IServiceCommand
{
    /// <summary>The command's type name: what <see cref="ServiceCommandRejected.Command"/> carries on the wire.</summary>
    private static readonly string CommandName = typeof(TCommand).Name;

    public async Task Consume(ConsumeContext<TCommand> context)
    {
        var command = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["ServiceId"] = command.ServiceId, ["CommandId"] = command.CommandId });
        // Who asked, as far as the worker can tell: the name the command gives (null when a publisher left it out).
        var requestedBy = command.RequestedBy ?? "";
        if (command.CommandId == Guid.Empty || command.ServiceId == Guid.Empty || !ServiceRules.RequesterPattern().IsMatch(requestedBy))
        {
            await Publish(context, Reject(command, RejectionReasons.InvalidCommand, "CommandId, ServiceId and RequestedBy are required.", status: null));
            return;
        }
        var publisher = identity.Resolve(context, command.RequestedBy);
        if (publisher is null)
        {
            await Publish(context, Reject(command, RejectionReasons.InvalidCommand, CommandIdentity.Unverified, status: null));
            return;
        }
        // The owner the publisher really is: a system's own requestedBy is only a claim.
        requestedBy = publisher.Owner;
        // Service and command ids are in every event: another owner's publisher reusing them must get the same
        // not_found as for any other command on that service, never a replay of the owner's outcome. Nothing is
        // stored, so the owner's own outcome under that id stays as it was.
        if (await records.GetAsync(command.ServiceId) is { } owned && !publisher.MayActOn(owned))
        {
            await Publish(context, Reject(command, RejectionReasons.NotFound, $"No service {command.ServiceId}.", status: null));
            return;
        }
        if (await outcomes.TryReplayAsync(command.ServiceId, command.CommandId, context))
            return;

        await using var held = await locks.AcquireAsync(command.ServiceId);
        // A duplicate of this command may have finished while we waited for the lock.
        if (await outcomes.TryReplayAsync(command.ServiceId, command.CommandId, context))
            return;

        var record = await records.GetAsync(command.ServiceId);
        // Another owner's service answers as if it did not exist, exactly like the API's 404.
        var outcome = record is null || !publisher.MayActOn(record)
            ? Reject(command, RejectionReasons.NotFound, $"No service {command.ServiceId}.", status: null)
            : Refusal(command, record) ?? await RunAsync(command, requestedBy, record, context.CancellationToken);

        await outcomes.SaveAsync(command.ServiceId, command.CommandId, outcome);
        logger.LogInformation("{Command} of {ServiceName} ended with {Outcome}", CommandName, record?.Name, outcome.GetType().Name);
        await Publish(context, outcome);
    }

    /// <summary>
    /// Why the command may not act on this existing service, or null when it may. Every rule on whether a command
    /// applies to a service belongs here, where it holds for all four commands at once.
    /// </summary>
    private ServiceCommandRejected? Refusal(TCommand command, ServiceRecord record) =>
        ServiceTransitions.AcceptedBy(CommandName).Contains(record.Status)
            ? null
            : Reject(command, RejectionReasons.WrongState, $"{CommandName} does not apply to a service that is {record.Status}.", record.Status);

    private async Task<IServiceEvent> RunAsync(TCommand command, string requestedBy, ServiceRecord record, CancellationToken cancellationToken)
    {
        try
        {
            return await action.RunAsync(command, requestedBy, record, cancellationToken);
        }
        catch (ContainerRuntimeException e)
        {
            var reason = e switch
            {
                // From the requester's side the service has no container; the runtime logged the details.
                ForeignContainerException => RejectionReasons.NotFound,
                { Reason: FailureReasons.DockerUnavailable } => RejectionReasons.DockerUnavailable,
                _ => RejectionReasons.DockerError,
            };
            return Reject(command, reason, e.Message, record.Status);
        }
    }

    private ServiceCommandRejected Reject(TCommand command, string reason, string message, string? status)
    {
        logger.LogWarning("{Command} rejected: {Reason}: {Message}", CommandName, reason, message);
        return new ServiceCommandRejected
        {
            CommandId = command.CommandId, ServiceId = command.ServiceId, Command = CommandName, Reason = reason,
            Message = message, Status = status, At = clock.GetUtcNow(),
        };
    }

    /// <summary>Published as its own type, so that it goes to that type's exchange.</summary>
    private static Task Publish(ConsumeContext context, IServiceEvent outcome) => context.Publish(outcome, outcome.GetType());
}
