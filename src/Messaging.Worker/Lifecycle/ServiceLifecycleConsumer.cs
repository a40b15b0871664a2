using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.State.Locks;
using Messaging.State.Outcomes;
using Messaging.State.Reservations;
using Messaging.Worker.Provisioning;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// Stop, start, restart and remove. One command per service at a time (<see cref="ServiceLocks"/>);
/// each ends in exactly one event, stored so that a redelivery or duplicate publishes it again.
/// A command the service's status does not allow is rejected with an event, never retried.
/// </summary>
public sealed class ServiceLifecycleConsumer(
    ServiceRecordStore records,
    PortReservations reservations,
    IContainerRuntime containers,
    ServiceLocks locks,
    CommandOutcomes outcomes,
    TimeProvider clock,
    ILogger<ServiceLifecycleConsumer> logger)
    : IConsumer<StopService>, IConsumer<StartService>, IConsumer<RestartService>, IConsumer<RemoveService>
{
    private sealed record Command(string Name, Guid CommandId, Guid ServiceId, string RequestedBy);

    public Task Consume(ConsumeContext<StopService> context) =>
        Handle(context, new Command(nameof(StopService), context.Message.CommandId, context.Message.ServiceId, context.Message.RequestedBy), Stop);

    public Task Consume(ConsumeContext<StartService> context) =>
        Handle(context, new Command(nameof(StartService), context.Message.CommandId, context.Message.ServiceId, context.Message.RequestedBy), Start);

    public Task Consume(ConsumeContext<RestartService> context) =>
        Handle(context, new Command(nameof(RestartService), context.Message.CommandId, context.Message.ServiceId, context.Message.RequestedBy), Restart);

    public Task Consume(ConsumeContext<RemoveService> context) =>
        Handle(context, new Command(nameof(RemoveService), context.Message.CommandId, context.Message.ServiceId, context.Message.RequestedBy), Remove);

    private async Task Handle(ConsumeContext context, Command command, Func<Command, ServiceRecord, CancellationToken, Task<object>> act)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["ServiceId"] = command.ServiceId, ["CommandId"] = command.CommandId });
        if (command.CommandId == Guid.Empty || command.ServiceId == Guid.Empty || !ServiceRules.RequesterPattern().IsMatch(command.RequestedBy ?? ""))
        {
            await context.Publish(Reject(command, RejectionReasons.InvalidCommand, "CommandId, ServiceId and RequestedBy are required.", null));
            return;
        }
        if (await outcomes.TryReplayAsync(command.CommandId, context))
            return;

        await using var held = await locks.AcquireAsync(command.ServiceId);
        // A duplicate of this command may have finished while we waited for the lock.
        if (await outcomes.TryReplayAsync(command.CommandId, context))
            return;

        var record = await records.GetAsync(command.ServiceId);
        object outcome;
        if (record is null)
            outcome = Reject(command, RejectionReasons.NotFound, $"No service {command.ServiceId}.", null);
        else if (!ServiceTransitions.AcceptedBy(command.Name).Contains(record.Status))
            outcome = Reject(command, RejectionReasons.WrongState, $"{command.Name} does not apply to a service that is {record.Status}.", record.Status);
        else
        {
            try
            {
                outcome = await act(command, record, context.CancellationToken);
            }
            catch (ContainerRuntimeException e)
            {
                var reason = e.Reason == FailureReasons.DockerUnavailable ? RejectionReasons.DockerUnavailable : RejectionReasons.DockerError;
                outcome = Reject(command, reason, e.Message, record.Status);
            }
        }

        await outcomes.SaveAsync(command.CommandId, outcome);
        logger.LogInformation("{Command} of {ServiceName} ended with {Outcome}", command.Name, record?.Name, outcome.GetType().Name);
        await context.Publish(outcome, outcome.GetType());
    }

    private async Task<object> Stop(Command command, ServiceRecord record, CancellationToken cancellationToken)
    {
        await containers.StopAsync(record.ContainerId!, cancellationToken);
        await records.TransitionAsync(record.ServiceId, [ServiceStatus.Running], ServiceStatus.Stopped, clock.GetUtcNow());
        return new ServiceStopped { CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, RequestedBy = command.RequestedBy, At = clock.GetUtcNow() };
    }

    private async Task<object> Start(Command command, ServiceRecord record, CancellationToken cancellationToken)
    {
        await containers.StartAsync(record.ContainerId!, record.HostPort ?? 0, cancellationToken);
        await records.TransitionAsync(record.ServiceId, [ServiceStatus.Stopped], ServiceStatus.Running, clock.GetUtcNow());
        return new ServiceStarted { CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, RequestedBy = command.RequestedBy, At = clock.GetUtcNow() };
    }

    private async Task<object> Restart(Command command, ServiceRecord record, CancellationToken cancellationToken)
    {
        await containers.RestartAsync(record.ContainerId!, cancellationToken);
        await records.TransitionAsync(record.ServiceId, [ServiceStatus.Running, ServiceStatus.Stopped], ServiceStatus.Running, clock.GetUtcNow());
        return new ServiceRestarted { CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, RequestedBy = command.RequestedBy, At = clock.GetUtcNow() };
    }

    /// <summary>Container first; port and name only once the engine confirms the container is gone.</summary>
    private async Task<object> Remove(Command command, ServiceRecord record, CancellationToken cancellationToken)
    {
        await records.TransitionAsync(record.ServiceId, [record.Status], ServiceStatus.Removing, clock.GetUtcNow());
        try
        {
            if (!string.IsNullOrEmpty(record.ContainerId))
            {
                await containers.RemoveAsync(record.ContainerId, cancellationToken);
                if (await containers.ExistsAsync(record.ContainerId, cancellationToken))
                    throw new ContainerRuntimeException(FailureReasons.DockerError, $"Container {record.ContainerId} is still there after removal.");
            }
        }
        catch (ContainerRuntimeException)
        {
            await records.TransitionAsync(record.ServiceId, [ServiceStatus.Removing], record.Status, clock.GetUtcNow());
            throw;
        }

        await reservations.ReleaseAsync(record.ServiceId, record.Name);
        await records.MarkRemovedAsync(record.ServiceId, clock.GetUtcNow());
        return new ServiceRemoved
        {
            CommandId = command.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, HostPort = record.HostPort,
            RequestedBy = command.RequestedBy, At = clock.GetUtcNow(),
        };
    }

    private ServiceCommandRejected Reject(Command command, string reason, string message, string? status)
    {
        logger.LogWarning("{Command} rejected: {Reason}: {Message}", command.Name, reason, message);
        return new ServiceCommandRejected
        {
            CommandId = command.CommandId, ServiceId = command.ServiceId, Command = command.Name, Reason = reason,
            Message = message, Status = status, At = clock.GetUtcNow(),
        };
    }
}
