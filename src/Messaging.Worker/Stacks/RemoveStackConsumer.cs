using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Locks;
using Messaging.State.Stacks;
using Messaging.Worker.Identity;
using Messaging.Worker.Lifecycle;

namespace Messaging.Worker.Stacks;

/// <summary>
/// Removes a stack: each member as a plain service is removed (container first, then port, name and quota, with its
/// <see cref="ServiceRemoved"/>), then the stack's network, then <see cref="StackRemoved"/>. Every step can be repeated,
/// so a removal cut short is finished by the redelivery.
/// </summary>
public sealed class RemoveStackConsumer(
    StackStore stacks,
    ServiceRecordStore records,
    ServiceRemoval removal,
    StackNetworks networks,
    ServiceLocks locks,
    CommandIdentity identity,
    TimeProvider clock,
    ILogger<RemoveStackConsumer> logger) : IConsumer<RemoveStack>
{
    public async Task Consume(ConsumeContext<RemoveStack> context)
    {
        var command = context.Message;
        var publisher = identity.Resolve(context, command.RequestedBy);
        await using var held = await locks.AcquireAsync(command.StackId);
        var stack = await stacks.GetAsync(command.StackId);
        // Someone else's stack, or none: refused without a trace, as the API's 404 would be.
        if (publisher is null || stack is null || !(publisher.IsApi || stack.Owner == publisher.Owner))
        {
            logger.LogWarning("RemoveStack {StackId} refused: no such stack for {Publisher}", command.StackId, publisher?.Owner ?? "an unverified publisher");
            return;
        }
        var requestedBy = publisher.IsApi ? command.RequestedBy : publisher.Owner;
        if (stack.Status != StackStatus.Removed)
        {
            await stacks.SaveAsync(stack with { Status = StackStatus.Removing, UpdatedAt = clock.GetUtcNow() });
            foreach (var member in stack.Members)
                await RemoveMember(context, member.ServiceId, requestedBy);
            await networks.RemoveAsync(stack.StackId, context.CancellationToken);
            await stacks.SaveAsync(stack with { Status = StackStatus.Removed, UpdatedAt = clock.GetUtcNow() });
            logger.LogInformation("Removed stack {StackName}", stack.Name);
        }
        await context.Publish(new StackRemoved
        {
            CommandId = command.CommandId, StackId = stack.StackId, StackName = stack.Name, RemovedAt = clock.GetUtcNow(),
        });
    }

    private async Task RemoveMember(ConsumeContext<RemoveStack> context, Guid serviceId, string requestedBy)
    {
        await using var held = await locks.AcquireAsync(serviceId);
        var record = await records.GetAsync(serviceId);
        if (record is null || record.Status == ServiceStatus.Removed)
            return;
        if (record.Status != ServiceStatus.Removing)
            await records.BeginRemovalAsync(serviceId, record.Status, context.Message.CommandId, requestedBy, clock.GetUtcNow());
        await context.Publish(await removal.FinishAsync(record, context.Message.CommandId, requestedBy, context.CancellationToken));
    }
}
