namespace Messaging.Contracts;

/// <summary>
/// The reconciler found Redis and the Docker engine disagreeing and made Redis follow the engine
/// (or reported what it may not fix on its own).
/// </summary>
public sealed record ServiceDriftCorrected
{
    /// <summary>The service concerned.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>Its name, when known.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>One of <see cref="DriftKinds"/>.</summary>
    public string Drift { get; init; } = "";
    /// <summary>What was found and done, for humans.</summary>
    public string Detail { get; init; } = "";
    /// <summary>When it was corrected.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>What the reconciler can find.</summary>
public static class DriftKinds
{
    /// <summary>A container of ours had no record (Redis lost it): the record was rebuilt from the container.</summary>
    public const string RecordRebuilt = "record_rebuilt";
    /// <summary>A record stuck in creating had its container: adopted.</summary>
    public const string RecordAdopted = "record_adopted";
    /// <summary>The record's running/stopped status disagreed with the container's state.</summary>
    public const string StatusCorrected = "status_corrected";
    /// <summary>Port, name or usage reservations were missing for a live container: restored.</summary>
    public const string ReservationRebuilt = "reservation_rebuilt";
    /// <summary>A reservation held for no live container: released.</summary>
    public const string ReservationReleased = "reservation_released";
    /// <summary>A running or stopped service's container is gone: marked failed, port and name freed.</summary>
    public const string ContainerVanished = "container_vanished";
    /// <summary>A creation never finished and left no container: marked failed.</summary>
    public const string CreationAbandoned = "creation_abandoned";
    /// <summary>A container of ours that no live record owns: reported (or removed when configured).</summary>
    public const string OrphanFound = "orphan_found";
    /// <summary>An orphan container was removed.</summary>
    public const string OrphanRemoved = "orphan_removed";
    /// <summary>
    /// A removal cut short (the record stayed <c>removing</c> past <c>Reconciler:StaleRemovingAfter</c>) was finished:
    /// the container, if still there, removed with its volumes; port, name and quota freed; the record marked removed.
    /// </summary>
    public const string RemovalFinished = "removal_finished";

    /// <summary>
    /// On Swarm: the service's task runs on another node now (rescheduled after a node was lost or drained, or restarted
    /// elsewhere); the record's <c>host</c> (what the edge dials) is now that node's address. A kind of the reconciler's
    /// report and log; since the event <see cref="Messaging.Contracts.ServiceMoved"/> exists it is announced by that event,
    /// not by a <see cref="ServiceDriftCorrected"/>.
    /// </summary>
    public const string ServiceMoved = "service_moved";

    /// <summary>
    /// On Swarm: a running service has no running task (announced by <see cref="Messaging.Contracts.ServiceDegraded"/>,
    /// not by a <see cref="ServiceDriftCorrected"/>; a kind of the reconciler's report and log).
    /// </summary>
    public const string ServiceDegraded = "service_degraded";
}
