using Messaging.Contracts;
using Messaging.State;
using Messaging.State.Supervision;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Messaging.Worker.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Worker.Supervision;

/// <summary>
/// Runs the supervisor: follows the engine's container events (die, oom, health_status, start, destroy) for this
/// installation's containers and has <see cref="ServiceSupervisor"/> look at each service they name, one at a time.
/// No container is polled: besides the events, it looks at services whose scheduled restart came due, and at every
/// running service after each (re)subscription and every <see cref="SupervisorOptions.SweepInterval"/>. When the
/// stream breaks (the engine restarted, or this worker did) it subscribes again from the last event it handled
/// (<c>since</c>), and the sweep that follows catches what the engine no longer replays (its event log does not
/// survive its own restart).
/// </summary>
public sealed class SupervisorService(
    ServiceSupervisor supervisor,
    SupervisionQueue queue,
    EngineContainers engine,
    SupervisionStore supervision,
    ServiceRecordStore records,
    CreateServicePolicy policies,
    WorkerTelemetry telemetry,
    IOptions<SupervisorOptions> options,
    ILogger<SupervisorService> logger) : BackgroundService
{
    private long _unhealthy;
    private long _crashLooping;

    private SupervisorOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Enabled)
            return;
        telemetry.ObserveSupervision(() => Interlocked.Read(ref _unhealthy), () => Interlocked.Read(ref _crashLooping));
        await Task.WhenAll(
            Guarded("event stream", WatchAsync, stoppingToken),
            Guarded("examination", ExamineAsync, stoppingToken),
            Guarded("due restarts", DueRestartsAsync, stoppingToken),
            Guarded("sweep", PeriodicSweepAsync, stoppingToken));
    }

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var since = await supervision.EventCursorAsync();
                // The subscription and the sweep overlap on purpose: what changes in between is both replayed and swept.
                var watching = engine.WatchAsync(since, OnEventAsync, stoppingToken);
                await SweepAsync(stoppingToken);
                await watching;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The engine's event stream broke ({Message}); subscribing again in {Delay}", e.Message, Options.ResubscribeDelay);
            }
            await Task.Delay(Options.ResubscribeDelay, stoppingToken);
        }
    }

    private async Task OnEventAsync(ContainerEvent e)
    {
        queue.Look(e.ServiceId);
        if (e.TimeNanos > 0)
            await supervision.AdvanceEventCursorAsync(e.TimeNanos);
    }

    private async Task ExamineAsync(CancellationToken stoppingToken)
    {
        await foreach (var serviceId in queue.ReadAllAsync(stoppingToken))
        {
            try
            {
                if (!await supervisor.ExamineAsync(serviceId, stoppingToken))
                    queue.LookLater(serviceId, TimeSpan.FromMilliseconds(500), stoppingToken); // a command holds it: look once it is done
            }
            catch (Exception e) when (e is ContainerRuntimeException or RedisException or TimeoutException or HttpRequestException or IOException
                                          or Docker.DotNet.DockerApiException or System.Net.Sockets.SocketException)
            {
                // The engine or Redis is away: the sweep after the next subscription looks at every service again.
                logger.LogWarning("Could not examine service {ServiceId}: {Message}", serviceId, e.Message);
            }
        }
    }

    private async Task DueRestartsAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Options.DueCheckInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var serviceId in await supervision.DueRestartsAsync(DateTimeOffset.UtcNow))
                    queue.Look(serviceId);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning("Could not read the due restarts: {Message}", e.Message);
            }
        }
    }

    private async Task PeriodicSweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Options.SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or HttpRequestException or IOException
                                          or Docker.DotNet.DockerApiException or System.Net.Sockets.SocketException)
            {
                logger.LogWarning("Supervisor sweep skipped: {Message}", e.Message);
            }
        }
    }

    /// <summary>
    /// Compares every running service with the engine's container list (one call) and queues for a closer look those
    /// that differ: the container not running, missing or of another health than recorded, a restart pending, or a
    /// check the worker probes itself (its probes live in this process and start again after a restart). A service in
    /// step with its container costs no inspect and no lock. Also counts the unhealthy and crash-looping ones.
    /// </summary>
    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        var containers = await engine.ListAsync(stoppingToken);
        long unhealthy = 0, crashLooping = 0;
        // The records in one go (Redis pipelines the reads): read one after another, each would cost a wake-up of the
        // worker's threads, which with 200 services was most of what an idle worker spends.
        foreach (var record in await Task.WhenAll((await records.AllIdsAsync()).Select(records.GetAsync)))
        {
            if (record is null)
                continue;
            var serviceId = record.ServiceId;
            if (record.Status == ServiceStatus.Running)
            {
                if (NeedsALook(record, containers.GetValueOrDefault(serviceId)))
                    queue.Look(serviceId);
                if (record.Health == ServiceHealth.Unhealthy)
                    unhealthy++;
            }
            else if (record.Status == ServiceStatus.CrashLooping)
            {
                crashLooping++;
            }
        }
        Interlocked.Exchange(ref _unhealthy, unhealthy);
        Interlocked.Exchange(ref _crashLooping, crashLooping);
    }

    private bool NeedsALook(ServiceRecord record, ListedContainer? container) =>
        container is not { Running: true }
        || record.Restarts.NextAt is not null
        || policies.EntryFor(record.Image)?.HealthCheck is { RunsInContainer: false }
        || (container.Health ?? ServiceHealth.None) != (record.Health ?? ServiceHealth.None);

    /// <summary>One loop of the supervisor; a bug in it is logged and the loop started again rather than the worker brought down.</summary>
    private async Task Guarded(string name, Func<CancellationToken, Task> loop, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await loop(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Supervisor {Loop} failed; starting it again", name);
                await Task.Delay(Options.ResubscribeDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
