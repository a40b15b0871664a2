using MassTransit;
using Messaging.Contracts;
using Messaging.State;

namespace Messaging.Api.Services;

/// <summary>Stop, start, restart, remove: a command each, answered 202 once the broker confirmed it.</summary>
public static class LifecycleEndpoints
{
    /// <summary>
    /// Publishes a <typeparamref name="TCommand"/> for the service when the caller may see it and its status allows
    /// the command. <typeparamref name="TCommand"/> is the concrete command, so that is the type published.
    /// </summary>
    public static async Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> Send<TCommand>(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, CommandPublisher publisher, TimeProvider clock)
        where TCommand : ServiceLifecycleCommand, new()
    {
        var commandName = typeof(TCommand).Name;
        var record = await records.FindVisibleAsync(serviceId, user);
        if (record is null)
            return Problems.ServiceNotFound(serviceId);
        // The worker decides for real (the status may change meanwhile); this only spares an obvious round trip.
        if (!ServiceTransitions.AcceptedBy(commandName).Contains(record.Status))
            return Problems.WrongState(commandName, record.Status);

        var command = new TCommand { CommandId = NewId.NextGuid(), ServiceId = serviceId, RequestedBy = user.Id(), RequestedAt = clock.GetUtcNow() };
        if (await publisher.PublishAsync(command) is not PublishOutcome.Confirmed)
            return Problems.BrokerUnavailable(undone: false);
        return TypedResults.Accepted($"/api/v1/services/{serviceId}", new CommandAccepted(serviceId, command.CommandId, commandName, record.Status));
    }
}

/// <summary>Body of the 202 answer to a lifecycle command.</summary>
public sealed record CommandAccepted(Guid ServiceId, Guid CommandId, string Command, string Status);
