using MassTransit;
using Messaging.Api.Services;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Stacks;

namespace Messaging.Api.Stacks;

/// <summary>
/// Stop, start, restart of a whole stack: the members are ordinary services, so this is the service command for each
/// member whose status accepts it (the worker's lifecycle, supervisor and events do the rest, per member).
/// </summary>
public static class StackLifecycle
{
    public static async Task<Results<Accepted<StackCommandsSent>, ProblemHttpResult>> Send<TCommand>(
        Guid stackId, ClaimsPrincipal user, StackStore stacks, ServiceRecordStore records, CommandPublisher publisher, TimeProvider clock)
        where TCommand : ServiceLifecycleCommand, new()
    {
        if (await stacks.FindVisibleAsync(stackId, user) is not { } stack || stack.Status == StackStatus.Removed)
            return Problems.StackNotFound(stackId);
        var commandName = typeof(TCommand).Name;
        var sent = new List<Guid>();
        foreach (var member in stack.Members)
        {
            var record = await records.GetAsync(member.ServiceId);
            if (record is null || !ServiceTransitions.AcceptedBy(commandName).Contains(record.Status))
                continue;
            var command = new TCommand { CommandId = NewId.NextGuid(), ServiceId = member.ServiceId, RequestedBy = user.Id(), RequestedAt = clock.GetUtcNow() };
            if (await publisher.PublishAsync(command) is not PublishOutcome.Confirmed)
                return Problems.BrokerUnavailable(undone: false);
            sent.Add(member.ServiceId);
        }
        return TypedResults.Accepted($"/api/v1/stacks/{stackId}", new StackCommandsSent(stackId, commandName, sent));
    }
}

/// <summary>Body of the 202 answer to a stack lifecycle call: the members the command was sent to.</summary>
public sealed record StackCommandsSent(Guid StackId, string Command, IReadOnlyList<Guid> ServiceIds);
