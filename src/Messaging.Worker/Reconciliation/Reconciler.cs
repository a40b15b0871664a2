using System.Collections.Concurrent;
using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Tokens;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.State.Locks;
using Messaging.State.Reservations;
using Messaging.Worker.Lifecycle;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Reconciliation;

/// <summary>What one pass found, by drift kind, and how many ended records it deleted after their retention.</summary>
public sealed record ReconcileReport(int Containers, IReadOnlyDictionary<string, int> Corrections, int ExpiredRecords)
{
    /// <summary>The owners of the containers the pass listed (their labels): whose quota usage is worth a look.</summary>
    public IReadOnlyCollection<string> Owners { get; init; } = [];
}

/// <summary>
/// Docker is the truth. A pass lists our containers by label and makes Redis agree: records and
/// reservations are rebuilt for containers Redis forgot (even after FLUSHALL), services whose container
/// vanished are marked failed and give their port back, removals cut short are finished once stale, reservations
/// nobody needs are released, and containers no live record owns are reported (or removed, when configured).
/// Each correction is an event. Failed and removed records past <c>Reconciler:RecordRetention</c> are deleted (not a
/// correction: no event; the audit trail has their history).
/// Services locked by a command in progress are left alone: their consumer is the one changing them.
/// </summary>
public sealed class Reconciler(
    IContainerRuntime containers,
    ServiceRecordStore records,
    PortReservations reservations,
    HostnameReservations hostnames,
    ServiceLocks locks,
    ServiceRemoval removal,
    IBus bus,
    IOptions<ReconcilerOptions> options,
    IOptions<DockerOptions> docker,
    IOptions<Supervision.SupervisorOptions> supervisor,
    IOptions<Scheduling.SchedulerOptions> scheduler,
    TimeProvider clock,
    ILogger<Reconciler> logger)
{
    public async Task<ReconcileReport> ReconcileAsync(CancellationToken cancellationToken)
    {
        var corrections = new ConcurrentDictionary<string, int>();
        var expired = 0;
        var live = await containers.ListManagedAsync(cancellationToken);
        var byService = live
            .Where(c => c.Labels.TryGetValue(ContainerLabels.ServiceId, out var id) && Guid.TryParse(id, out _))
            .GroupBy(c => Guid.Parse(c.Labels[ContainerLabels.ServiceId]))
            .ToDictionary(g => g.Key, g => g.First());

        // Services side by side, a few at a time: each one's look is a handful of Redis round trips, and awaited one
        // after another they cost a thread wake-up each (with 200 services, most of an idle worker's CPU). Concurrent,
        // they share Redis's pipeline. Each service is looked at once and alone; what it changes is its own.
        await Parallel.ForEachAsync(byService, Concurrently(cancellationToken),
            async (pair, _) => await ReconcileContainer(pair.Key, pair.Value, corrections));

        var missing = (await records.AllIdsAsync()).Where(id => !byService.ContainsKey(id));
        await Parallel.ForEachAsync(missing, Concurrently(cancellationToken), async (serviceId, token) =>
        {
            if (await ReconcileMissingContainer(serviceId, corrections, token))
                Interlocked.Increment(ref expired);
        });

        // Shares counted before the host budget existed (or edited by hand) would skew it: sum them again.
        await reservations.RecountHostUsageAsync();

        foreach (var (serviceId, _) in await reservations.ReservedAsync())
        {
            if (byService.ContainsKey(serviceId) || await IsLocked(serviceId))
                continue;
            var record = await records.GetAsync(serviceId);
            if (record is null || record.Status is ServiceStatus.Failed or ServiceStatus.Removed)
            {
                await reservations.ReleaseAsync(serviceId, record?.Name ?? "");
                await Correct(corrections, serviceId, record?.Name ?? "", DriftKinds.ReservationReleased, "No container holds this reservation.");
            }
        }

        var owners = live.Select(c => c.Labels.GetValueOrDefault(ContainerLabels.Owner, "")).Where(o => o.Length > 0).ToHashSet();
        return new ReconcileReport(live.Count, corrections, expired) { Owners = owners };
    }

    private async Task ReconcileContainer(Guid serviceId, ManagedContainer container, ConcurrentDictionary<string, int> corrections)
    {
        if (await IsLocked(serviceId))
            return;
        var record = await records.GetAsync(serviceId);
        var now = clock.GetUtcNow();
        if (record?.Status == ServiceStatus.Removing)
        {
            // Its removal decides about this container: finish it once stale, else leave it to its command.
            if (IsStaleRemoval(record, now))
                await FinishRemoval(record with { ContainerId = container.Id }, corrections);
            return;
        }
        var status = container.Running ? ServiceStatus.Running : ServiceStatus.Stopped;

        if (record is null)
        {
            await records.SaveAsync(RecordFrom(serviceId, container, status, now));
            await Correct(corrections, serviceId, container.ServiceName, DriftKinds.RecordRebuilt, $"Rebuilt from container {Short(container.Id)}.");
        }
        else if (record.Status is ServiceStatus.Failed or ServiceStatus.Removed)
        {
            if (options.Value.RemoveOrphans)
            {
                await containers.RemoveAsync(new ServiceContainer(container.Id, serviceId), CancellationToken.None);
                await Correct(corrections, serviceId, container.ServiceName, DriftKinds.OrphanRemoved, $"Container {Short(container.Id)} belonged to a {record.Status} service.");
            }
            else
            {
                await Correct(corrections, serviceId, container.ServiceName, DriftKinds.OrphanFound, $"Container {Short(container.Id)} belongs to a {record.Status} service; set Reconciler:RemoveOrphans to remove it.");
            }
            return;
        }
        else if (record.Status is ServiceStatus.Pending or ServiceStatus.Creating || record.ContainerId != container.Id)
        {
            await records.SaveAsync(RecordFrom(serviceId, container, status, now) with
            {
                CommandId = record.CommandId, Image = record.Image, MemoryLimit = record.MemoryLimit, CreatedAt = record.CreatedAt,
            });
            await Correct(corrections, serviceId, container.ServiceName, DriftKinds.RecordAdopted, $"Adopted container {Short(container.Id)}.");
        }
        // A running service whose container exited is the supervisor's: it restarts it, or records why not.
        else if (record.Status is ServiceStatus.Running or ServiceStatus.Stopped && record.Status != status
                 && !(record.Status == ServiceStatus.Running && supervisor.Value.Enabled))
        {
            await records.TransitionAsync(serviceId, [record.Status], status, now);
            await Correct(corrections, serviceId, container.ServiceName, DriftKinds.StatusCorrected, $"The container is {(container.Running ? "running" : "not running")}.");
        }

        // Swarm: the record follows its task to another node (the edge dials the record's host), and says when none runs.
        // On one engine the container's binding is the configured address and never moves.
        if (scheduler.Value.Mode == Scheduling.SchedulerMode.Swarm && record is { Status: ServiceStatus.Running } && record.ContainerId == container.Id
            && container.Running)
            await FollowPlacement(record, container, corrections, now);

        if (container.HostPort is { } port)
        {
            var owner = container.Labels.GetValueOrDefault(ContainerLabels.Owner, "");
            var allocation = new Allocation(owner, container.MemoryBytes, container.NanoCpus / 1e9, Quota.Unlimited);
            var restored = await reservations.RestoreAsync(serviceId, container.ServiceName, port, allocation);
            if (restored == RestoreOutcome.Restored)
                await Correct(corrections, serviceId, container.ServiceName, DriftKinds.ReservationRebuilt, $"Port {port} and name restored.");
            else if (restored == RestoreOutcome.Conflict)
                logger.LogError("Container {Name} holds port {Port} or its name, which Redis gives to another service", container.ServiceName, port);
        }
        await RestoreHostnames(serviceId, container, corrections);
    }

    /// <summary>
    /// A running service's task on Swarm: moved to another node (<see cref="ServiceMoved"/>, the record's host follows),
    /// running nowhere (<see cref="ServiceDegraded"/>, once per spell: the record is marked, and the edge serves its 503
    /// page), or running again on the node it was on (<see cref="ServiceRecovered"/>). Counted as corrections under the
    /// drift kinds <c>service_moved</c> and <c>service_degraded</c> in the pass's report and log; the events are the
    /// service events, which the audit trail, webhooks and live streams carry.
    /// </summary>
    private async Task FollowPlacement(ServiceRecord record, ManagedContainer container, ConcurrentDictionary<string, int> corrections, DateTimeOffset now)
    {
        var serviceId = record.ServiceId;
        if (container.HostAddress is { } address)
        {
            if (address != record.Host)
            {
                await records.SaveAsync(record with { Host = address, DegradedAt = null, UpdatedAt = now });
                Count(corrections, serviceId, container.ServiceName, DriftKinds.ServiceMoved, $"Its task runs on {address} now (was {record.Host ?? "nowhere"}).");
                await bus.Publish(new ServiceMoved
                {
                    ServiceId = serviceId, ServiceName = container.ServiceName, FromHost = record.Host, ToHost = address,
                    ToNode = container.NodeName ?? "", HostPort = record.HostPort, At = now,
                });
            }
            else if (record.IsDegraded)
            {
                await records.SaveAsync(record with { DegradedAt = null, UpdatedAt = now });
                logger.LogInformation("{ServiceName} ({ServiceId}) runs again on {Host}", container.ServiceName, serviceId, address);
                await bus.Publish(new ServiceRecovered { ServiceId = serviceId, ServiceName = container.ServiceName, At = now });
            }
        }
        else if (container.NotRunningBecause is { } why && !record.IsDegraded)
        {
            await records.SaveAsync(record with { DegradedAt = now, UpdatedAt = now });
            Count(corrections, serviceId, container.ServiceName, DriftKinds.ServiceDegraded, $"No task runs ({why.Reason}): {why.Detail}.");
            await bus.Publish(new ServiceDegraded
            {
                ServiceId = serviceId, ServiceName = container.ServiceName, Reason = why.Reason, Detail = why.Detail, LastHost = record.Host, At = now,
            });
        }
    }

    /// <summary>
    /// Takes back the extra hostnames the container was created with (its labels) when Redis lost their reservation:
    /// all or none, and never from another service that holds one now.
    /// </summary>
    private async Task RestoreHostnames(Guid serviceId, ManagedContainer container, ConcurrentDictionary<string, int> corrections)
    {
        var labelled = ContainerLabels.HostnamesOf(container.Labels);
        var lost = new List<string>();
        foreach (var host in labelled)
        {
            if (await hostnames.HolderOfAsync(host) != serviceId)
                lost.Add(host);
        }
        if (lost.Count == 0)
            return;
        if (await hostnames.ReserveAsync(serviceId, labelled) is { } taken)
        {
            logger.LogError("Container {Name} was created with the hostname {Host}, which Redis gives to another service", container.ServiceName, taken);
            return;
        }
        await Correct(corrections, serviceId, container.ServiceName, DriftKinds.ReservationRebuilt, $"Hostnames {string.Join(", ", lost)} restored.");
    }

    /// <summary>Makes the record of a service without a container tell the truth; true when it was deleted after its retention.</summary>
    private async Task<bool> ReconcileMissingContainer(Guid serviceId, ConcurrentDictionary<string, int> corrections, CancellationToken cancellationToken)
    {
        var record = await records.GetAsync(serviceId);
        if (record is null || await IsLocked(serviceId))
            return false;
        var now = clock.GetUtcNow();
        if (record.Status is ServiceStatus.Failed or ServiceStatus.Removed)
            return await DeleteIfExpired(record, now);
        if (record.Status is ServiceStatus.Removing)
        {
            if (IsStaleRemoval(record, now))
                await FinishRemoval(record, corrections);
            return false;
        }
        if (record.Status is ServiceStatus.Pending)
        {
            if (record.Unconfirmed && now - record.UpdatedAt > options.Value.UnconfirmedPendingExpiry)
                await ExpireUndelivered(record, corrections, now);
            return false;
        }
        string drift;
        if (record.Status is ServiceStatus.Running or ServiceStatus.Stopped or ServiceStatus.CrashLooping)
            drift = DriftKinds.ContainerVanished;
        else if (record.Status is ServiceStatus.Creating && now - record.UpdatedAt > options.Value.StuckCreatingAfter)
            drift = DriftKinds.CreationAbandoned;
        else
            return false;

        // The container list is from the start of the pass: a creation that finished since has a container the
        // list does not show. Ask the engine about this very container before calling it gone.
        if (!string.IsNullOrEmpty(record.ContainerId) && await containers.ExistsAsync(new ServiceContainer(record.ContainerId, serviceId), cancellationToken))
            return false;

        // Gone from the engine: port, name and hostnames can go back, and the record says why.
        await reservations.ReleaseAsync(serviceId, record.Name);
        await hostnames.ReleaseAsync(serviceId, record.Hostnames);
        await records.SaveAsync(record with
        {
            Status = ServiceStatus.Failed,
            FailureCode = FailureReasons.DockerError,
            FailureMessage = drift == DriftKinds.ContainerVanished ? "The container disappeared from the engine." : "The creation never finished.",
            HostPort = null, Host = null, ContainerId = null, UpdatedAt = now,
        });
        await Correct(corrections, serviceId, record.Name, drift, $"Was {record.Status}; marked failed, port and name freed.");
        return false;
    }

    /// <summary>
    /// Deletes an ended record once it is older than the retention. Only records no container of ours carries get
    /// here, so a failed service whose container could not be removed keeps its record (its owner's handle to
    /// DELETE it) for as long as the container is there.
    /// </summary>
    private async Task<bool> DeleteIfExpired(ServiceRecord record, DateTimeOffset now)
    {
        var endedBy = now - options.Value.RecordRetention;
        if (record.UpdatedAt > endedBy || !await records.DeleteExpiredAsync(record, endedBy))
            return false;
        logger.LogInformation("Deleted the {Status} record of {ServiceName} ({ServiceId}), unchanged since {UpdatedAt:O}",
            record.Status, record.Name, record.ServiceId, record.UpdatedAt);
        return true;
    }

    /// <summary>
    /// The API could not tell whether the broker took this create command, and no worker ever claimed it: it is
    /// lost. A claim that comes first wins (the move is atomic); a late command then finds the record failed and
    /// replays this failure instead of creating anything.
    /// </summary>
    private async Task ExpireUndelivered(ServiceRecord record, ConcurrentDictionary<string, int> corrections, DateTimeOffset now)
    {
        const string message = "The message broker never confirmed the create command and no worker received it; nothing was created.";
        if (!await records.ExpireUnconfirmedAsync(record.ServiceId, FailureReasons.NotDelivered, message, now))
            return;
        await bus.Publish(new ServiceCreationFailed
        {
            CommandId = record.CommandId, ServiceId = record.ServiceId, ServiceName = record.Name,
            Reason = FailureReasons.NotDelivered, Message = message, FailedAt = now,
        });
        await Correct(corrections, record.ServiceId, record.Name, DriftKinds.CreationAbandoned, "Was pending and unconfirmed; marked failed (not_delivered).");
    }

    private bool IsStaleRemoval(ServiceRecord record, DateTimeOffset now) => now - record.UpdatedAt > options.Value.StaleRemovingAfter;

    /// <summary>
    /// Finishes a removal cut short: the container (if still there) is removed with its volumes, then port, name and
    /// quota are released and the record marked removed. Under the service's lock, so a redelivered command arriving
    /// meanwhile waits and then replays the <c>ServiceRemoved</c> stored here for it. A removal the engine still
    /// refuses stays <c>removing</c> for the next pass.
    /// </summary>
    private async Task FinishRemoval(ServiceRecord record, ConcurrentDictionary<string, int> corrections)
    {
        await using var held = await locks.TryAcquireAsync(record.ServiceId);
        if (held is null)
            return;
        // Read again under the lock: a command may have finished it since the pass read it.
        var current = await records.GetAsync(record.ServiceId);
        if (current?.Status != ServiceStatus.Removing)
            return;
        var commandId = current.RemovalCommandId ?? Guid.Empty;
        ServiceRemoved removed;
        try
        {
            removed = await removal.FinishAsync(current with { ContainerId = record.ContainerId }, commandId,
                current.RemovalRequestedBy ?? current.Owner, CancellationToken.None);
        }
        catch (ContainerRuntimeException e)
        {
            logger.LogWarning("Could not finish the removal of {ServiceName} ({ServiceId}): {Message}", current.Name, current.ServiceId, e.Message);
            return;
        }
        // The command that began it gets its answer (kept by FinishAsync for its redeliveries too).
        if (commandId != Guid.Empty)
            await bus.Publish(removed);
        await Correct(corrections, current.ServiceId, current.Name, DriftKinds.RemovalFinished,
            $"Was removing since {current.UpdatedAt:O}; its container is gone, port, name and quota freed, marked removed.");
    }

    private ServiceRecord RecordFrom(Guid serviceId, ManagedContainer container, string status, DateTimeOffset now) => new()
    {
        ServiceId = serviceId,
        // The creating command, so that its redelivery recognises the rebuilt record as its own.
        CommandId = Guid.TryParse(container.Labels.GetValueOrDefault(ContainerLabels.CommandId), out var commandId) ? commandId : Guid.Empty,
        Name = container.ServiceName,
        Image = container.Image,
        Owner = container.Labels.GetValueOrDefault(ContainerLabels.Owner, ""),
        Status = status,
        MemoryLimit = MemorySize.Format(container.MemoryBytes),
        MemoryBytes = container.MemoryBytes,
        CpuLimit = container.NanoCpus / 1e9,
        InternalPort = container.InternalPort,
        HostPort = container.HostPort,
        Host = container.HostAddress ?? docker.Value.PublishAddress,
        ContainerId = container.Id,
        Hostnames = ContainerLabels.HostnamesOf(container.Labels),
        CreatedAt = container.Created,
        UpdatedAt = now,
    };

    private static ParallelOptions Concurrently(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken };

    private Task<bool> IsLocked(Guid serviceId) => locks.IsHeldAsync(serviceId);

    private async Task Correct(ConcurrentDictionary<string, int> corrections, Guid serviceId, string name, string drift, string detail)
    {
        Count(corrections, serviceId, name, drift, detail);
        await bus.Publish(new ServiceDriftCorrected { ServiceId = serviceId, ServiceName = name, Drift = drift, Detail = detail, At = clock.GetUtcNow() });
    }

    /// <summary>Counts and logs a correction whose event is its own (not a <see cref="ServiceDriftCorrected"/>).</summary>
    private void Count(ConcurrentDictionary<string, int> corrections, Guid serviceId, string name, string drift, string detail)
    {
        corrections.AddOrUpdate(drift, 1, (_, n) => n + 1);
        logger.LogWarning("Drift {Drift} on {ServiceName} ({ServiceId}): {Detail}", drift, name, serviceId, detail);
    }

    private static string Short(string containerId) => containerId.Length > 12 ? containerId[..12] : containerId;
}
