using System.Diagnostics;
using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Tokens;
using Messaging.Worker.Containers;
using Messaging.Worker.Identity;
using Messaging.Worker.Policy;
using Messaging.State.Locks;
using Messaging.State.Reservations;
using Messaging.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Provisioning;

/// <summary>
/// Turns a <see cref="CreateService"/> into a running container, or into a failure event with nothing
/// left behind. Every step can be repeated: a redelivered command finds its reservation (same port)
/// and its container (by name and service-id label) and ends with the same event.
/// </summary>
public sealed class CreateServiceConsumer(
    CreateServicePolicy policy,
    Builds.BuiltImages builtImages,
    HostBudgets hostBudgets,
    ServiceRecordStore records,
    ServiceLocks locks,
    PortReservations reservations,
    HostnameReservations hostnames,
    TokenStore tokens,
    CommandIdentity identity,
    IOptions<SystemQuotaOptions> systemQuotas,
    IContainerRuntime containers,
    ServicesNetwork network,
    ContainerSpecBuilder specs,
    IOptions<DockerOptions> docker,
    IOptions<PortRangeOptions> ports,
    IOptions<Scheduling.SchedulerOptions> scheduler,
    TimeProvider clock,
    WorkerTelemetry telemetry,
    Pools.WarmClaims warm,
    Pools.ColdCreations cold,
    ILogger<CreateServiceConsumer> logger) : IConsumer<CreateService>
{
    public async Task Consume(ConsumeContext<CreateService> context)
    {
        telemetry.InFlight.Add(1);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await Handle(context);
        }
        finally
        {
            telemetry.InFlight.Add(-1);
            telemetry.CreationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task Handle(ConsumeContext<CreateService> context)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["ServiceId"] = context.Message.ServiceId,
            ["CommandId"] = context.Message.CommandId,
        });
        var publisher = identity.Resolve(context, context.Message.RequestedBy);
        if (publisher is null)
        {
            await PublishFailure(context, FailureReasons.InvalidCommand, CommandIdentity.Unverified);
            return;
        }
        // From here on the owner is the one the publisher really is: a system's own requestedBy is only a claim.
        var command = context.Message with { RequestedBy = publisher.Owner };

        var (approved, refusal) = policy.Evaluate(command);
        // A built image runs only for the owner it was built for (its labels on the engine say who).
        if (approved is not null && await builtImages.RefusalAsync(approved.Image, command.RequestedBy, context.CancellationToken) is { } notTheirs)
            (approved, refusal) = (null, notTheirs);
        if (refusal is { Reason: FailureReasons.InvalidCommand })
        {
            // A malformed command gets no record of its own: its fields (owner included) are not trustworthy.
            await PublishFailure(context, refusal.Reason, refusal.Message);
            return;
        }

        // A duplicate delivery waits here until the first is done, then finds the record finished.
        await using var held = await locks.AcquireAsync(command.ServiceId);
        var (claim, existing) = await records.ClaimCreationAsync(NewRecord(approved?.Command ?? command, approved));
        switch (claim)
        {
            case ClaimOutcome.ForeignRecord:
                await PublishFailure(context, FailureReasons.InvalidCommand,
                    $"Service id {command.ServiceId} already belongs to another command.");
                return;
            case ClaimOutcome.AlreadyFinished:
                await ReplayOutcome(context, existing!);
                return;
        }

        if (refusal is not null)
        {
            await Fail(context, refusal.Reason, refusal.Message);
            return;
        }
        await Provision(context, approved!);
    }

    private async Task Provision(ConsumeContext<CreateService> context, ApprovedService service)
    {
        var command = service.Command;
        var cancellationToken = context.CancellationToken;
        HostBudget hostBudget;
        try
        {
            // Before anything is reserved: waiting for another worker to make the network holds no port.
            await network.EnsureAsync(cancellationToken);
            hostBudget = await hostBudgets.GetAsync(cancellationToken);
        }
        catch (ContainerRuntimeException e)
        {
            await Fail(context, e.Reason, e.Message);
            return;
        }
        // Extra hostnames first, all or none: a service is never created answering to only some of them.
        if (await hostnames.ReserveAsync(command.ServiceId, command.Hostnames ?? []) is { } taken)
        {
            await Fail(context, FailureReasons.HostnameConflict, $"The hostname '{taken}' is held by another service.", release: false);
            return;
        }
        var allocation = new Allocation(command.RequestedBy, service.MemoryBytes, service.CpuLimit, await QuotaOf(command.RequestedBy));
        // A qualifying creation takes a warm pool member when one is idle (Pools/WarmClaims.cs); otherwise, cold.
        if (await warm.TryClaimAsync(service, allocation, hostBudget, context.ReceiveContext.Redelivered, cancellationToken) is { } claimed)
        {
            await Succeed(context, service, claimed.ContainerId, claimed.HostPort, docker.Value.PublishAddress, warm: true);
            return;
        }
        using var coldCreation = cold.Begin();
        int? refusedPort = null;
        for (var attempt = 1; attempt <= ports.Value.MaxAttempts; attempt++)
        {
            var reservation = await reservations.ReserveAsync(command.ServiceId, command.ServiceName, allocation, refusedPort, cancellationToken, hostBudget);
            telemetry.Reservations.Add(1, new KeyValuePair<string, object?>("outcome", reservation.Outcome.ToString()));
            if (reservation.Outcome == ReserveOutcome.NameTaken)
            {
                await Fail(context, FailureReasons.NameConflict, $"The name '{command.ServiceName}' is taken by another service.", release: false);
                return;
            }
            if (reservation.Outcome == ReserveOutcome.QuotaExceeded)
            {
                await Fail(context, FailureReasons.QuotaExceeded,
                    $"The {reservation.Detail} quota of '{command.RequestedBy}' would be exceeded.", release: false);
                return;
            }
            if (reservation.Outcome == ReserveOutcome.HostCapacityExceeded)
            {
                await Fail(context, FailureReasons.HostCapacity,
                    $"The host's {reservation.Detail} budget (HostBudget) would be exceeded by this service's limits.", release: false);
                return;
            }
            if (reservation.Outcome == ReserveOutcome.Exhausted)
            {
                await Fail(context, FailureReasons.PortsExhausted, $"No free host port in {ports.Value.Min}-{ports.Value.Max}.");
                return;
            }

            string? containerId = null;
            var hostPort = reservation.Port;
            try
            {
                (containerId, hostPort) = await CreateOrAdopt(service, allocation, reservation.Port, cancellationToken);
                var address = await containers.StartAsync(new ServiceContainer(containerId, command.ServiceId), hostPort, cancellationToken);
                await Succeed(context, service, containerId, hostPort, address ?? docker.Value.PublishAddress);
                return;
            }
            catch (HostPortUnavailableException e)
            {
                logger.LogWarning("Port {Port} refused by the engine, trying another: {Detail}", reservation.Port, e.Message);
                if (!await containers.TryRemoveAsync(containerId, command.ServiceId, logger, "a failed creation"))
                {
                    await Fail(context, e.Reason, e.Message, release: false, leftContainerId: containerId);
                    return;
                }
                refusedPort = reservation.Port;
            }
            catch (ContainerRuntimeException e)
            {
                // The port goes back only once the container is surely gone; otherwise the reconciler frees it later.
                var removed = await containers.TryRemoveAsync(containerId, command.ServiceId, logger, "a failed creation");
                await Fail(context, e.Reason, e.Message, release: removed, leftContainerId: removed ? null : containerId);
                return;
            }
        }
        await Fail(context, FailureReasons.DockerError, $"The engine refused {ports.Value.MaxAttempts} host ports in a row.");
    }

    /// <summary>A token's own quota, or for a system (owner system:&lt;broker user&gt;) its configured one.</summary>
    private async Task<Quota> QuotaOf(string owner) =>
        owner.StartsWith(CommandIdentity.SystemPrefix, StringComparison.Ordinal)
            ? systemQuotas.Value.QuotaOf(owner[CommandIdentity.SystemPrefix.Length..])
            : await tokens.QuotaOfAsync(owner);

    /// <summary>
    /// Creates the container, or adopts the one an earlier delivery of this command made. An adopted
    /// container keeps the port it was created with (Redis may have lost that reservation meanwhile):
    /// the reservation is moved to it, so the event announces the port the container really has.
    /// </summary>
    private async Task<(string ContainerId, int HostPort)> CreateOrAdopt(ApprovedService service, Allocation allocation, int hostPort, CancellationToken cancellationToken)
    {
        var spec = specs.Build(service, hostPort);
        try
        {
            return (await containers.CreateAsync(spec, cancellationToken), hostPort);
        }
        catch (ContainerNameConflictException)
        {
            var existing = await containers.FindByNameAsync(spec.Name, cancellationToken);
            if (existing is not null && ContainerLabels.BelongTo(existing.Labels, docker.Value.Instance, service.Command.ServiceId))
            {
                logger.LogInformation("Adopting container {ContainerId} made by an earlier delivery", existing.Id);
                if (existing.HostPort is { } actual && actual != hostPort)
                {
                    var command = service.Command;
                    await reservations.ReleaseAsync(command.ServiceId, command.ServiceName);
                    if (await reservations.RestoreAsync(command.ServiceId, command.ServiceName, actual, allocation) == RestoreOutcome.Conflict)
                        throw new ContainerRuntimeException(FailureReasons.DockerError, $"The adopted container holds port {actual}, which Redis gives to another service.");
                    return (existing.Id, actual);
                }
                return (existing.Id, hostPort);
            }
            throw;
        }
    }

    private async Task Succeed(ConsumeContext<CreateService> context, ApprovedService service, string containerId, int hostPort, string host, bool warm = false)
    {
        var command = service.Command;
        var now = clock.GetUtcNow();
        var record = NewRecord(command, service) with
        {
            Status = ServiceStatus.Running,
            Health = HealthAtStart(service.Entry),
            ContainerId = containerId,
            HostPort = hostPort,
            Host = host,
            UpdatedAt = now,
        };
        await records.SaveAsync(record with { CreatedAt = (await records.GetAsync(command.ServiceId))?.CreatedAt ?? now });
        logger.LogInformation("Service {ServiceName} runs in {ContainerId} on port {HostPort}", command.ServiceName, containerId, hostPort);
        telemetry.Created.Add(1);
        await context.Publish(CreatedEvent(record, now) with { Warm = warm });
    }

    /// <summary>
    /// Containers: not healthy before its check first passes (the supervisor's ServiceHealthy); nothing routes it until
    /// then. Swarm: a task with a check is reported running only once the check passed, so it starts healthy; the worker's
    /// own probes belong to the supervisor, which is off on Swarm, so such a service has no health on record there.
    /// </summary>
    private string? HealthAtStart(AllowedImage entry) => (scheduler.Value.Mode, entry.HealthCheck) switch
    {
        (_, null) => null,
        (Scheduling.SchedulerMode.Swarm, { RunsInContainer: true }) => ServiceHealth.Healthy,
        (Scheduling.SchedulerMode.Swarm, _) => null,
        _ => ServiceHealth.Starting,
    };

    /// <summary>
    /// Records and publishes a failure. A container that could not be removed stays in the record
    /// (with its port still reserved), so a later removal or the reconciler finds it.
    /// </summary>
    private async Task Fail(ConsumeContext<CreateService> context, string reason, string message, bool release = true, string? leftContainerId = null)
    {
        var command = context.Message;
        if (release)
            await reservations.ReleaseAsync(command.ServiceId, command.ServiceName);
        // Held with the container: a container left behind keeps them until its removal.
        if (leftContainerId is null)
            await hostnames.ReleaseAsync(command.ServiceId, command.Hostnames ?? []);
        var current = await records.GetAsync(command.ServiceId);
        if (current is not null && current.CommandId == command.CommandId)
        {
            await records.SaveAsync(current with
            {
                Status = ServiceStatus.Failed,
                FailureCode = reason,
                FailureMessage = message,
                HostPort = leftContainerId is null ? null : current.HostPort,
                Host = leftContainerId is null ? null : current.Host,
                ContainerId = leftContainerId,
                UpdatedAt = clock.GetUtcNow(),
            });
        }
        await PublishFailure(context, reason, message);
    }

    private async Task PublishFailure(ConsumeContext<CreateService> context, string reason, string message)
    {
        logger.LogWarning("Creation of {ServiceName} failed: {Reason}: {Message}", context.Message.ServiceName, reason, message);
        telemetry.Failed.Add(1, new KeyValuePair<string, object?>("reason", reason));
        await context.Publish(new ServiceCreationFailed
        {
            CommandId = context.Message.CommandId,
            ServiceId = context.Message.ServiceId,
            ServiceName = context.Message.ServiceName,
            Reason = reason,
            Message = message,
            FailedAt = clock.GetUtcNow(),
        });
    }

    /// <summary>The command was handled before: publish the same terminal event again, change nothing.</summary>
    private async Task ReplayOutcome(ConsumeContext<CreateService> context, ServiceRecord record)
    {
        if (record.Status == ServiceStatus.Failed)
            await PublishFailure(context, record.FailureCode ?? FailureReasons.DockerError, record.FailureMessage ?? "");
        else if (record.ContainerId is not null && record.HostPort is not null)
            await context.Publish(CreatedEvent(record with { CommandId = context.Message.CommandId }, record.UpdatedAt));
    }

    private static ServiceCreated CreatedEvent(ServiceRecord record, DateTimeOffset at) => new()
    {
        CommandId = record.CommandId,
        ServiceId = record.ServiceId,
        ServiceName = record.Name,
        Image = record.Image,
        Owner = record.Owner,
        ContainerId = record.ContainerId ?? "",
        Host = record.Host ?? "",
        HostPort = record.HostPort ?? 0,
        InternalPort = record.InternalPort ?? 0,
        MemoryBytes = record.MemoryBytes,
        CpuLimit = record.CpuLimit,
        CreatedAt = at,
    };

    private ServiceRecord NewRecord(CreateService command, ApprovedService? approved)
    {
        return ServiceRecord.ForCommand(command, ServiceStatus.Creating, clock.GetUtcNow()) with
        {
            MemoryBytes = approved?.MemoryBytes ?? 0,
            InternalPort = approved?.InternalPort ?? command.InternalPort,
        };
    }
}
