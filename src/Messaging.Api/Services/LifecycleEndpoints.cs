using System.Security.Claims;
using MassTransit;
using Messaging.Api.Auth;
using Messaging.Api.Http;
using Messaging.Contracts;
using Messaging.State;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Api.Services;

/// <summary>Stop, start, restart, remove: a command each, answered 202 once the broker confirmed it.</summary>
public static class LifecycleEndpoints
{
    public static Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> Stop(Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, CommandPublisher publisher, TimeProvider clock) =>
        Send(serviceId, user, records, publisher, nameof(StopService),
            (commandId, by) => new StopService { CommandId = commandId, ServiceId = serviceId, RequestedBy = by, RequestedAt = clock.GetUtcNow() });

    public static Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> Start(Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, CommandPublisher publisher, TimeProvider clock) =>
        Send(serviceId, user, records, publisher, nameof(StartService),
            (commandId, by) => new StartService { CommandId = commandId, ServiceId = serviceId, RequestedBy = by, RequestedAt = clock.GetUtcNow() });

    public static Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> Restart(Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, CommandPublisher publisher, TimeProvider clock) =>
        Send(serviceId, user, records, publisher, nameof(RestartService),
            (commandId, by) => new RestartService { CommandId = commandId, ServiceId = serviceId, RequestedBy = by, RequestedAt = clock.GetUtcNow() });

    public static Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> Remove(Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, CommandPublisher publisher, TimeProvider clock) =>
        Send(serviceId, user, records, publisher, nameof(RemoveService),
            (commandId, by) => new RemoveService { CommandId = commandId, ServiceId = serviceId, RequestedBy = by, RequestedAt = clock.GetUtcNow() });

    private static async Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> Send<T>(
        Guid serviceId, ClaimsPrincipal user, ServiceRecordStore records, CommandPublisher publisher, string commandName,
        Func<Guid, string, T> command) where T : class
    {
        var record = await records.FindVisibleAsync(serviceId, user);
        if (record is null)
            return Problems.ServiceNotFound(serviceId);
        // The worker decides for real (the status may change meanwhile); this only spares an obvious round trip.
        if (!ServiceTransitions.AcceptedBy(commandName).Contains(record.Status))
            return Problems.WrongState(commandName, record.Status);

        var commandId = NewId.NextGuid();
        if (await publisher.PublishAsync(command(commandId, user.Id())) is not PublishOutcome.Confirmed)
            return Problems.BrokerUnavailable(undone: false);
        return TypedResults.Accepted($"/api/v1/services/{serviceId}", new CommandAccepted(serviceId, commandId, commandName, record.Status));
    }
}

/// <summary>Body of the 202 answer to a lifecycle command.</summary>
public sealed record CommandAccepted(Guid ServiceId, Guid CommandId, string Command, string Status);
