using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Locks;
using Messaging.State.Reservations;
using Messaging.State.Stacks;
using Messaging.State.Tokens;
using Messaging.Worker.Containers;
using Messaging.Worker.Identity;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Stacks;

/// <summary>
/// Turns a <see cref="CreateStack"/> into running members, or into <see cref="StackCreationFailed"/> with nothing left
/// (unless the command keeps the started part). Order: judge every member (<see cref="StackPlanner"/>), write the
/// records, reserve the whole stack in one script, make the network, start the members in dependency order, then
/// keep or roll back. A redelivery finds its records, reservations (same port) and containers (derived member ids)
/// and ends with the same event.
/// </summary>
public sealed class CreateStackConsumer(
    StackPlanner planner,
    Builds.BuiltImages builtImages,
    StackStore stacks,
    ServiceRecordStore records,
    StackReservations reservations,
    StackNetworks networks,
    StackStarter starter,
    StackRollback rollback,
    ServiceLocks locks,
    HostBudgets hostBudgets,
    TokenStore tokens,
    CommandIdentity identity,
    IOptions<SystemQuotaOptions> systemQuotas,
    IOptions<DockerOptions> docker,
    IOptions<Scheduling.SchedulerOptions> scheduler,
    TimeProvider clock,
    ILogger<CreateStackConsumer> logger) : IConsumer<CreateStack>
{
    public async Task Consume(ConsumeContext<CreateStack> context)
    {
        var command = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["StackId"] = command.StackId, ["CommandId"] = command.CommandId });
        var publisher = identity.Resolve(context, command.RequestedBy);
        if (publisher is null)
        {
            await PublishFailure(context, new StackRefusal(FailureReasons.InvalidCommand, CommandIdentity.Unverified), []);
            return;
        }
        var owner = publisher.Owner;

        await using var held = await locks.AcquireAsync(command.StackId);
        var existing = await stacks.GetAsync(command.StackId);
        if (existing is not null && (existing.CommandId != command.CommandId || existing.Owner != owner))
        {
            await PublishFailure(context, new StackRefusal(FailureReasons.InvalidCommand, $"Stack id {command.StackId} already belongs to another command."), []);
            return;
        }
        if (existing is not null && existing.Status is not (StackStatus.Pending or StackStatus.Creating))
        {
            await ReplayOutcome(context, existing);
            return;
        }

        var now = clock.GetUtcNow();
        var stack = new StackRecord
        {
            StackId = command.StackId, CommandId = command.CommandId, Name = command.StackName, Owner = owner,
            Status = StackStatus.Creating, CreatedAt = existing?.CreatedAt ?? now, UpdatedAt = now,
        };
        var (plan, refusal) = planner.Plan(command, owner);
        // A stack's members share a bridge network of the one engine; the Swarm adapter gives every service an overlay
        // network of its own and has no shared one yet, so stacks are refused there rather than half-built.
        if (scheduler.Value.Mode == Scheduling.SchedulerMode.Swarm)
            (plan, refusal) = (null, new StackRefusal(FailureReasons.InvalidCommand, "Stacks are not scheduled on Swarm yet (Scheduler:Mode is swarm)."));
        // A member may run a built image only for the owner it was built for, as a plain service.
        foreach (var member in plan?.Members ?? [])
        {
            if (refusal is null && await builtImages.RefusalAsync(member.Approved.Image, owner, context.CancellationToken) is { } notTheirs)
                refusal = new StackRefusal(notTheirs.Reason, $"services.{member.Name}: {notTheirs.Message}", member.Name);
        }
        if (refusal is not null)
        {
            await FailStack(context, stack, refusal, []);
            return;
        }
        stack = stack with { Members = [.. plan!.Members.Select(m => new StackMemberRef(m.Name, m.ServiceId, m.Definition.IsPublic))] };
        await stacks.SaveAsync(stack);

        // The members' locks keep the reconciler off records and containers this command is still making.
        var memberLocks = new List<RedisLock>();
        try
        {
            foreach (var member in plan.Members)
                memberLocks.Add(await locks.AcquireAsync(member.ServiceId));
            await Provision(context, stack, plan);
        }
        finally
        {
            foreach (var memberLock in memberLocks)
                await memberLock.DisposeAsync();
        }
    }

    private async Task Provision(ConsumeContext<CreateStack> context, StackRecord stack, StackPlan plan)
    {
        var command = context.Message;
        var cancellationToken = context.CancellationToken;
        foreach (var member in plan.Members)
        {
            var current = await records.GetAsync(member.ServiceId);
            await records.SaveAsync(ServiceRecord.ForCommand(member.Approved.Command, ServiceStatus.Creating, clock.GetUtcNow()) with
            {
                MemoryBytes = member.Approved.MemoryBytes,
                InternalPort = member.Approved.InternalPort,
                StackId = stack.StackId,
                CreatedAt = current?.CreatedAt ?? stack.CreatedAt,
            });
        }

        HostBudget hostBudget;
        try
        {
            hostBudget = await hostBudgets.GetAsync(cancellationToken);
        }
        catch (ContainerRuntimeException e)
        {
            await FailWhole(context, stack, plan, new StackRefusal(e.Reason, e.Message), release: false);
            return;
        }
        var allocations = plan.Members.Select(m => new MemberAllocation(
            m.ServiceId, m.ServiceName, m.Approved.MemoryBytes, m.Approved.CpuLimit, m.Definition.IsPublic)).ToList();
        var reservation = await reservations.ReserveAsync(stack.Owner, await QuotaOf(stack.Owner), allocations, hostBudget, cancellationToken);
        if (ReservationRefusal(reservation, stack.Owner) is { } refused)
        {
            // Nothing was reserved: the script writes all or nothing.
            await FailWhole(context, stack, plan, refused, release: false);
            return;
        }

        string network;
        try
        {
            network = await networks.EnsureAsync(command.StackId, cancellationToken);
        }
        catch (ContainerRuntimeException e)
        {
            await FailWhole(context, stack, plan, new StackRefusal(e.Reason, e.Message), release: true);
            return;
        }
        stack = stack with { Network = network };

        var started = await starter.StartAsync(command.StackId, plan, network, reservation.PublicPort, cancellationToken);
        if (started.Failure is null)
        {
            await Succeed(context, stack, plan, started, reservation.PublicPort);
            return;
        }
        var keep = command.KeepStartedOnFailure && started.Started.Count > 0;
        var kept = keep ? plan.Members.Where(m => started.Started.Contains(m.Name)).ToList() : [];
        var clean = await rollback.RollBackAsync(plan.Members.Except(kept), started.Containers, started.Failure);
        foreach (var member in kept)
            await SaveRunning(member, started.Containers[member.Name], reservation.PublicPort);
        if (kept.Count == 0 && clean)
            await RemoveNetworkQuietly(command.StackId);
        await FailStack(context, stack with { Status = keep ? StackStatus.Partial : StackStatus.Failed }, started.Failure,
            [.. kept.Select(m => StateOf(m, reservation.PublicPort))]);
    }

    private async Task Succeed(ConsumeContext<CreateStack> context, StackRecord stack, StackPlan plan, StackStartResult started, int? publicPort)
    {
        foreach (var member in plan.Members)
            await SaveRunning(member, started.Containers[member.Name], publicPort);
        var now = clock.GetUtcNow();
        await stacks.SaveAsync(stack with { Status = StackStatus.Running, UpdatedAt = now });
        logger.LogInformation("Stack {StackName} runs: {Members} members", stack.Name, plan.Members.Count);
        // The public entry is published and routed like a plain service, so it is announced like one too.
        if (plan.Public is { } entry && await records.GetAsync(entry.ServiceId) is { } record)
            await context.Publish(new ServiceCreated
            {
                CommandId = record.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name, Image = record.Image,
                Owner = record.Owner, ContainerId = record.ContainerId ?? "", Host = record.Host ?? "", HostPort = record.HostPort ?? 0,
                InternalPort = record.InternalPort ?? 0, MemoryBytes = record.MemoryBytes, CpuLimit = record.CpuLimit, CreatedAt = now,
            });
        await context.Publish(new StackCreated
        {
            CommandId = stack.CommandId, StackId = stack.StackId, StackName = stack.Name, Owner = stack.Owner,
            Members = [.. plan.Members.Select(m => StateOf(m, publicPort))], CreatedAt = now,
        });
    }

    private async Task SaveRunning(PlannedMember member, string containerId, int? publicPort)
    {
        var current = await records.GetAsync(member.ServiceId);
        if (current is null)
            return;
        await records.SaveAsync(current with
        {
            Status = ServiceStatus.Running,
            // Not healthy before its check first passes (ServiceHealthy): nothing routes it until then.
            Health = member.Definition.HealthCheck is null && member.Approved.Entry.HealthCheck is null ? null : ServiceHealth.Starting,
            ContainerId = containerId,
            HostPort = member.Definition.IsPublic ? publicPort : null,
            Host = member.Definition.IsPublic ? docker.Value.PublishAddress : null,
            UpdatedAt = clock.GetUtcNow(),
        });
    }

    private static StackMemberState StateOf(PlannedMember member, int? publicPort) => new()
    {
        Member = member.Name, ServiceId = member.ServiceId, ServiceName = member.ServiceName,
        HostPort = member.Definition.IsPublic ? publicPort : null,
    };

    /// <summary>Fails a stack before any container exists: every member record fails, and its reservation goes when it was made.</summary>
    private async Task FailWhole(ConsumeContext<CreateStack> context, StackRecord stack, StackPlan plan, StackRefusal refusal, bool release)
    {
        if (release)
            await reservations.ReleaseAsync(plan.Members.Select(m => (m.ServiceId, m.ServiceName)));
        await rollback.RollBackAsync(plan.Members, new Dictionary<string, string>(), refusal);
        await FailStack(context, stack, refusal, []);
    }

    private async Task FailStack(ConsumeContext<CreateStack> context, StackRecord stack, StackRefusal refusal, IReadOnlyList<StackMemberState> kept)
    {
        await stacks.SaveAsync(stack with
        {
            Status = stack.Status == StackStatus.Partial ? StackStatus.Partial : StackStatus.Failed,
            FailureCode = refusal.Reason, FailureMessage = refusal.Message, FailedMember = refusal.Member, UpdatedAt = clock.GetUtcNow(),
        });
        await PublishFailure(context, refusal, kept);
    }

    private async Task PublishFailure(ConsumeContext<CreateStack> context, StackRefusal refusal, IReadOnlyList<StackMemberState> kept)
    {
        logger.LogWarning("Stack {StackName} failed at {Member}: {Reason}: {Message}", context.Message.StackName, refusal.Member ?? "(stack)", refusal.Reason, refusal.Message);
        await context.Publish(new StackCreationFailed
        {
            CommandId = context.Message.CommandId, StackId = context.Message.StackId, StackName = context.Message.StackName,
            Reason = refusal.Reason, Message = refusal.Message, FailedMember = refusal.Member, KeptMembers = kept, FailedAt = clock.GetUtcNow(),
        });
    }

    /// <summary>The command was handled before: publish its terminal event again, change nothing.</summary>
    private async Task ReplayOutcome(ConsumeContext<CreateStack> context, StackRecord stack)
    {
        var members = new List<StackMemberState>();
        foreach (var member in stack.Members)
        {
            var record = await records.GetAsync(member.ServiceId);
            if (record is not null && stack.Status != StackStatus.Failed)
                members.Add(new StackMemberState { Member = member.Member, ServiceId = member.ServiceId, ServiceName = record.Name, HostPort = record.HostPort });
        }
        if (stack.Status is StackStatus.Failed or StackStatus.Partial)
            await PublishFailure(context, new StackRefusal(stack.FailureCode ?? FailureReasons.DockerError, stack.FailureMessage ?? "", stack.FailedMember), members);
        else
            await context.Publish(new StackCreated
            {
                CommandId = stack.CommandId, StackId = stack.StackId, StackName = stack.Name, Owner = stack.Owner, Members = members, CreatedAt = stack.UpdatedAt,
            });
    }

    private static StackRefusal? ReservationRefusal(StackReservation reservation, string owner) => reservation.Outcome switch
    {
        ReserveOutcome.Reserved => null,
        ReserveOutcome.NameTaken => new StackRefusal(FailureReasons.NameConflict, $"The name '{reservation.Detail}' is taken by another service."),
        ReserveOutcome.QuotaExceeded => new StackRefusal(FailureReasons.QuotaExceeded, $"The {reservation.Detail} quota of '{owner}' would be exceeded by this stack's members."),
        ReserveOutcome.HostCapacityExceeded => new StackRefusal(FailureReasons.HostCapacity, $"The host's {reservation.Detail} budget (HostBudget) would be exceeded by this stack's members."),
        _ => new StackRefusal(FailureReasons.PortsExhausted, "No free host port for the stack's public member."),
    };

    /// <summary>A token's own quota, or for a system (owner system:&lt;broker user&gt;) its configured one.</summary>
    private async Task<Quota> QuotaOf(string owner) =>
        owner.StartsWith(CommandIdentity.SystemPrefix, StringComparison.Ordinal)
            ? systemQuotas.Value.QuotaOf(owner[CommandIdentity.SystemPrefix.Length..])
            : await tokens.QuotaOfAsync(owner);

    private async Task RemoveNetworkQuietly(Guid stackId)
    {
        try
        {
            await networks.RemoveAsync(stackId, CancellationToken.None);
        }
        catch (ContainerRuntimeException e)
        {
            logger.LogWarning("Stack network of {StackId} stays for the reconciler: {Message}", stackId, e.Message);
        }
    }
}
