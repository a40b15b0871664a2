using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Locks;
using Messaging.State.Supervision;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Messaging.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Supervision;

/// <summary>
/// Looks at one running service: compares what its container does now with what its record says, and acts on the
/// difference by its policy (record the exit, schedule or carry out a restart, give up as crash_looping, report health).
/// Everything happens under the service's lock (<see cref="ServiceLocks"/>) with the record read again inside it, so
/// a user's command and the supervisor never interleave, a stopped, stopping or removed service is never touched,
/// and of several workers looking at the same change one acts and the others find nothing left to do.
/// </summary>
public sealed class ServiceSupervisor(
    ServiceRecordStore records,
    SupervisionStore supervision,
    ServiceLocks locks,
    EngineContainers engine,
    WorkerProbes probes,
    SupervisionQueue queue,
    IContainerRuntime containers,
    CreateServicePolicy policies,
    IBus bus,
    IOptions<SupervisorOptions> options,
    WorkerTelemetry telemetry,
    TimeProvider clock,
    ILogger<ServiceSupervisor> logger)
{
    private const string Exited = "exited";
    private const string Unhealthy = "unhealthy";

    /// <summary>How long a service still being created is looked at again; past it the reconciler settles the record.</summary>
    private static readonly TimeSpan CreationGrace = TimeSpan.FromMinutes(2);
    private SupervisorOptions Options => options.Value;

    /// <summary>Examines the service; false when a command holds it now (look again shortly).</summary>
    public async Task<bool> ExamineAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var record = await records.GetAsync(serviceId);
        if (record?.Status is ServiceStatus.Pending or ServiceStatus.Creating && clock.GetUtcNow() - record.UpdatedAt < CreationGrace)
        {
            // Its container started before the creation wrote "running": look again once it has. The start event may be
            // the last one for a while (a check the worker probes has no health_status events until it is tracked).
            return false;
        }
        if (record?.Status != ServiceStatus.Running)
        {
            // Only a running service is supervised; a restart scheduled before a stop, a crash loop or a removal lapses.
            probes.Forget(serviceId);
            await supervision.ForgetDueAsync(serviceId);
            return true;
        }
        await using var held = await locks.TryAcquireAsync(serviceId);
        if (held is null)
            return false;
        record = await records.GetAsync(serviceId);
        if (record?.Status != ServiceStatus.Running)
            return true;
        var observed = await engine.ObserveAsync(ServiceContainer.Of(record), cancellationToken);
        if (observed is null)
        {
            probes.Forget(serviceId);
            return true; // the container is gone: the reconciler's to report (container_vanished)
        }
        var entry = policies.EntryFor(record.Image);
        observed = WithWorkerProbes(record, entry, observed);
        var policy = SupervisionPolicy.For(record, entry, Options);
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["ServiceId"] = serviceId });
        if (observed.Running)
            await OnRunningAsync(record, observed, policy, cancellationToken);
        else
            await OnExitedAsync(record, observed, policy, cancellationToken);
        return true;
    }

    /// <summary>
    /// For an entry whose check the worker runs (<see cref="ServiceHealthCheck.ProbedBy"/> <c>worker</c>): probes this
    /// run of the container from now on, and takes their verdict as the container's health.
    /// </summary>
    private ContainerObservation WithWorkerProbes(ServiceRecord record, AllowedImage? entry, ContainerObservation observed)
    {
        if (entry?.HealthCheck is not { RunsInContainer: false } check)
            return observed;
        if (!observed.Running || observed.Address is null || observed.StartedAt is not { } startedAt)
        {
            probes.Forget(record.ServiceId);
            return observed with { Health = null, HealthOutput = null };
        }
        probes.Track(record.ServiceId, check, observed.Address, record.InternalPort ?? entry.InternalPort, startedAt);
        var (status, output) = probes.HealthOf(record.ServiceId, startedAt);
        return observed with { Health = status, HealthOutput = output };
    }

    private async Task OnExitedAsync(ServiceRecord record, ContainerObservation observed, SupervisionPolicy policy, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var exitAt = observed.FinishedAt ?? now;
        if (record.LastExit?.At == exitAt)
        {
            // An exit already handled: its restart may have come due.
            if (record.Restarts.NextAt is { } due && due <= now)
                await RestartAsync(record, observed, cancellationToken);
            return;
        }

        var exit = new ExitRecord(observed.ExitCode, observed.OomKilled, exitAt);
        var updated = record with { LastExit = exit, Health = ServiceHealth.None };
        telemetry.Exits.Add(1, new KeyValuePair<string, object?>("oom", observed.OomKilled));
        if (!policy.RestartsAfter(observed.ExitCode, observed.OomKilled))
        {
            await supervision.SaveAsync(updated with { Restarts = RestartState.Initial });
            await records.TransitionAsync(record.ServiceId, [ServiceStatus.Running], ServiceStatus.Stopped, now);
            logger.LogInformation("{ServiceName} exited with {ExitCode}; its restart policy {Policy} leaves it stopped", record.Name, exit.Code, policy.Restart);
            await PublishExited(record, exit, "stop");
            return;
        }

        var ranStably = observed.StartedAt is { } started && exitAt - started >= Options.StableUptime;
        var plan = policy.NextRestart(record.Restarts, ranStably, now, Options, Random.Shared.NextDouble());
        if (plan is null)
        {
            await GiveUpAsync(updated, exit, stopContainer: false, cancellationToken);
            await PublishExited(record, exit, ServiceStatus.CrashLooping);
            await PublishCrashLooping(updated, exit);
            return;
        }
        var scheduled = updated with { Restarts = new RestartState(plan.Attempt, plan.WindowStartedAt, now + plan.Delay, Exited, plan.Delay) };
        await supervision.SaveAsync(scheduled);
        logger.LogWarning("{ServiceName} exited with {ExitCode} (OOM killed: {Oom}); restart {Attempt} in {Delay}",
            record.Name, exit.Code, exit.Oom, plan.Attempt, plan.Delay);
        await RestartWhenDueAsync(scheduled, observed, plan.Delay, () => PublishExited(record, exit, "restart"), cancellationToken);
    }

    /// <summary>
    /// A restart without delay (the first after a stable run) happens now, under the lock already held, with the event
    /// that announces it (<paramref name="announce"/>) published while the engine starts the container: recovery costs
    /// only the engine's start. A later one is looked at again when it comes due; the due-restart check is the backstop
    /// for a worker that stops before then (any worker may carry it out).
    /// </summary>
    private async Task RestartWhenDueAsync(ServiceRecord scheduled, ContainerObservation observed, TimeSpan delay, Func<Task> announce,
        CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            await RestartAsync(scheduled, observed, cancellationToken, announce);
            return;
        }
        await announce();
        queue.LookLater(scheduled.ServiceId, delay + TimeSpan.FromMilliseconds(10), cancellationToken);
    }

    private async Task OnRunningAsync(ServiceRecord record, ContainerObservation observed, SupervisionPolicy policy, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (record.Restarts is { NextAt: { } due, NextReason: Exited } scheduled)
        {
            // Running again although a restart after an exit is still pending: a worker started it and died before it
            // could write so (it started after the restart was scheduled). Count it now, once; otherwise it was already
            // running again (a start this supervisor did not make) and the pending restart has nothing left to do.
            if (observed.StartedAt >= due - scheduled.NextDelay - TimeSpan.FromSeconds(1))
                await RecordRestartAsync(record, observed, now);
            else
                await supervision.SaveAsync(record with { Restarts = scheduled with { NextAt = null, NextReason = null, NextDelay = TimeSpan.Zero } });
            return;
        }

        var health = observed.Health is ServiceHealth.Starting or ServiceHealth.Healthy or ServiceHealth.Unhealthy ? observed.Health : ServiceHealth.None;
        var previous = record.Health ?? ServiceHealth.None;
        // Unhealthy stays the verdict through a restart's start period, until the check passes (then ServiceRecovered).
        if (health == ServiceHealth.Starting && previous == ServiceHealth.Unhealthy)
            health = previous;

        if (health != previous)
        {
            var updated = record with { Health = health };
            if (health == ServiceHealth.Unhealthy)
            {
                await OnUnhealthyAsync(updated, observed, policy, now, cancellationToken);
                return;
            }
            if (health == ServiceHealth.Healthy && previous == ServiceHealth.Unhealthy)
            {
                // Healthy again before a scheduled restart for it came due: nothing left to restart.
                if (updated.Restarts.NextReason == Unhealthy)
                    updated = updated with { Restarts = updated.Restarts with { NextAt = null, NextReason = null, NextDelay = TimeSpan.Zero } };
                await supervision.SaveAsync(updated);
                logger.LogInformation("{ServiceName} is healthy again", record.Name);
                await Publish(new ServiceRecovered { ServiceId = record.ServiceId, ServiceName = record.Name, At = now });
                return;
            }
            await supervision.SaveAsync(updated);
            if (health == ServiceHealth.Healthy)
            {
                // First pass of the check in this run: what the edge waits for before it routes the service.
                logger.LogInformation("{ServiceName} is healthy", record.Name);
                await Publish(new ServiceHealthy { ServiceId = record.ServiceId, ServiceName = record.Name, At = now });
            }
            return;
        }

        if (record.Restarts is { NextAt: { } restartDue, NextReason: Unhealthy } && restartDue <= now)
            await RestartAsync(record, observed, cancellationToken);
    }

    private async Task OnUnhealthyAsync(ServiceRecord record, ContainerObservation observed, SupervisionPolicy policy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        telemetry.UnhealthyTransitions.Add(1);
        var output = Shorten(observed.HealthOutput ?? "");
        if (policy.OnUnhealthy != UnhealthyActions.Restart)
        {
            await supervision.SaveAsync(record);
            logger.LogWarning("{ServiceName} is unhealthy; reported only (on_unhealthy: report): {Output}", record.Name, output);
            await PublishUnhealthy(record, output, UnhealthyActions.Report);
            return;
        }
        var ranStably = observed.StartedAt is { } started && now - started >= Options.StableUptime;
        var plan = policy.NextRestart(record.Restarts, ranStably, now, Options, Random.Shared.NextDouble());
        if (plan is null)
        {
            await GiveUpAsync(record, record.LastExit, stopContainer: true, cancellationToken);
            await PublishUnhealthy(record, output, ServiceStatus.CrashLooping);
            await PublishCrashLooping(record, record.LastExit);
            return;
        }
        var scheduled = record with { Restarts = new RestartState(plan.Attempt, plan.WindowStartedAt, now + plan.Delay, Unhealthy, plan.Delay) };
        await supervision.SaveAsync(scheduled);
        logger.LogWarning("{ServiceName} is unhealthy ({Output}); restart {Attempt} in {Delay}", record.Name, output, plan.Attempt, plan.Delay);
        await RestartWhenDueAsync(scheduled, observed, plan.Delay, () => PublishUnhealthy(record, output, UnhealthyActions.Restart), cancellationToken);
    }

    /// <summary>
    /// Carries out the scheduled restart: the same container again, so its port and name stay. <paramref name="announce"/>
    /// (an event owed from before the restart) is published while the engine starts the container: recovery waits only
    /// for the engine, and a worker that dies during the start has already sent it.
    /// </summary>
    private async Task RestartAsync(ServiceRecord record, ContainerObservation observed, CancellationToken cancellationToken,
        Func<Task>? announce = null)
    {
        var restarted = TryRestartContainerAsync(record, observed, cancellationToken);
        if (announce is not null)
            await announce();
        if (await restarted)
            await RecordRestartAsync(record, observed, clock.GetUtcNow());
    }

    /// <summary>False when the engine refused: the restart stays due, and the due-restart check (or another worker) tries again.</summary>
    private async Task<bool> TryRestartContainerAsync(ServiceRecord record, ContainerObservation observed, CancellationToken cancellationToken)
    {
        try
        {
            if (observed.Running)
                await containers.RestartAsync(ServiceContainer.Of(record), cancellationToken);
            else
                await containers.StartAsync(ServiceContainer.Of(record), record.HostPort ?? 0, cancellationToken);
            return true;
        }
        catch (ContainerRuntimeException e)
        {
            logger.LogWarning("Restart of {ServiceName} failed, trying again: {Message}", record.Name, e.Message);
            return false;
        }
    }

    private async Task RecordRestartAsync(ServiceRecord record, ContainerObservation observed, DateTimeOffset now)
    {
        var scheduled = record.Restarts;
        await supervision.SaveAsync(record with
        {
            RestartCount = record.RestartCount + 1,
            Restarts = scheduled with { NextAt = null, NextReason = null, NextDelay = TimeSpan.Zero },
            // A container with a health check starts over in its start period; one restarted for being unhealthy stays
            // so until its check passes.
            Health = scheduled.NextReason == Unhealthy ? ServiceHealth.Unhealthy : observed.Health is null ? ServiceHealth.None : ServiceHealth.Starting,
        });
        telemetry.Restarts.Add(1, new KeyValuePair<string, object?>("reason", scheduled.NextReason ?? Exited));
        logger.LogInformation("Restarted {ServiceName} (attempt {Attempt}, after {Delay})", record.Name, scheduled.Attempts, scheduled.NextDelay);
        await Publish(new ServiceRestartedBySupervisor
        {
            ServiceId = record.ServiceId, ServiceName = record.Name, Attempt = scheduled.Attempts, Delay = scheduled.NextDelay,
            Reason = scheduled.NextReason ?? Exited, At = now,
        });
    }

    /// <summary>Over its restarts in the window: crash_looping, with the last log lines kept on the record.</summary>
    private async Task GiveUpAsync(ServiceRecord record, ExitRecord? exit, bool stopContainer, CancellationToken cancellationToken)
    {
        var container = ServiceContainer.Of(record);
        string? tail = null;
        try
        {
            if (stopContainer)
                await containers.StopAsync(container, cancellationToken);
            tail = string.Join('\n', await containers.GetLogsAsync(container, Options.LogTailLines, cancellationToken));
        }
        catch (ContainerRuntimeException e)
        {
            logger.LogWarning("Could not read the log tail of {ServiceName}: {Message}", record.Name, e.Message);
        }
        await supervision.SaveAsync(record with { LogTail = tail, Health = ServiceHealth.None, Restarts = record.Restarts with { NextAt = null, NextReason = null, NextDelay = TimeSpan.Zero } });
        await records.TransitionAsync(record.ServiceId, [ServiceStatus.Running], ServiceStatus.CrashLooping, clock.GetUtcNow());
        telemetry.CrashLoops.Add(1);
        logger.LogError("{ServiceName} is crash-looping: {Restarts} restarts within {Window}, last exit {ExitCode}; not restarted again",
            record.Name, record.Restarts.Attempts, record.Restarts.WindowStartedAt, exit?.Code);
    }

    private Task PublishExited(ServiceRecord record, ExitRecord exit, string action) =>
        Publish(new ServiceExited { ServiceId = record.ServiceId, ServiceName = record.Name, ExitCode = exit.Code, OomKilled = exit.Oom, Action = action, At = exit.At });

    private Task PublishUnhealthy(ServiceRecord record, string output, string action) =>
        Publish(new ServiceUnhealthy { ServiceId = record.ServiceId, ServiceName = record.Name, Output = output, Action = action, At = clock.GetUtcNow() });

    private Task PublishCrashLooping(ServiceRecord record, ExitRecord? exit) =>
        Publish(new ServiceCrashLooping
        {
            ServiceId = record.ServiceId, ServiceName = record.Name, Restarts = record.Restarts.Attempts, LastExitCode = exit?.Code,
            OomKilled = exit?.Oom ?? false, At = clock.GetUtcNow(),
        });

    private Task Publish<T>(T message) where T : class => bus.Publish(message);

    private static string Shorten(string text) => text.Length <= 512 ? text : text[..512];
}
