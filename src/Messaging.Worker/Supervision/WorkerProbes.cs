using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using Messaging.Worker.Policy;

namespace Messaging.Worker.Supervision;

/// <summary>
/// Health checks the worker runs itself, for allowlist entries whose image cannot run one (<see
/// cref="ServiceHealthCheck.ProbedBy"/> <c>worker</c>): an HTTP GET or a TCP connect to the container's address on its
/// network, every interval, judged by Docker's rules (<see cref="ProbeHealth"/>). The supervisor says which containers
/// to probe (it tracks them when it finds them running and forgets them otherwise); a change of health asks it to look
/// at the service again, as a <c>health_status</c> event from the engine would. The worker must have a route to the
/// services' network: it does when it runs on the engine's host (<c>infra/run.sh</c>), where the host reaches every
/// container on a bridge whatever its inter-container setting.
/// </summary>
public sealed class WorkerProbes(SupervisionQueue queue, TimeProvider clock, ILogger<WorkerProbes> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private readonly ConcurrentDictionary<Guid, Target> _targets = new();

    /// <summary>Released when a target is tracked; the probe loop sleeps on it while there is none.</summary>
    private readonly SemaphoreSlim _tracked = new(0, 1);

    private sealed class Target(ServiceHealthCheck check, string address, int port, ProbeHealth health)
    {
        public ServiceHealthCheck Check { get; } = check;
        public string Address { get; } = address;
        public int Port { get; } = port;
        public ProbeHealth Health { get; } = health;
        public DateTimeOffset NextProbeAt { get; set; }
        public int Probing;
    }

    /// <summary>Probes this run of the service's container (one start, at <paramref name="startedAt"/>) from now on.</summary>
    public void Track(Guid serviceId, ServiceHealthCheck check, string address, int port, DateTimeOffset startedAt)
    {
        Target New() => new(check, address, port, new ProbeHealth(check, startedAt)) { NextProbeAt = clock.GetUtcNow() };
        _targets.AddOrUpdate(serviceId, _ => New(),
            (_, known) => known.Health.StartedAt == startedAt && known.Address == address && known.Port == port && known.Check == check ? known : New());
        lock (_tracked)
        {
            if (_tracked.CurrentCount == 0)
                _tracked.Release();
        }
    }

    public void Forget(Guid serviceId) => _targets.TryRemove(serviceId, out _);

    /// <summary>The health of the tracked run started at <paramref name="startedAt"/>: <c>starting</c> until its first probes.</summary>
    public (string Status, string Output) HealthOf(Guid serviceId, DateTimeOffset? startedAt) =>
        _targets.TryGetValue(serviceId, out var target) && target.Health.StartedAt == startedAt
            ? (target.Health.Status, target.Health.Output)
            : (Messaging.Contracts.ServiceHealth.Starting, "");

    /// <summary>
    /// Ticks only while there is something to probe: most installations have no worker-probed entry, and an idle
    /// worker should not wake four times a second for nothing.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _tracked.WaitAsync(stoppingToken);
            using var timer = new PeriodicTimer(Tick, clock);
            while (!_targets.IsEmpty && await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = clock.GetUtcNow();
                foreach (var (serviceId, target) in _targets)
                {
                    if (target.NextProbeAt > now || Interlocked.Exchange(ref target.Probing, 1) == 1)
                        continue;
                    target.NextProbeAt = now + target.Check.Interval;
                    _ = ProbeAsync(serviceId, target, stoppingToken);
                }
            }
        }
    }

    private async Task ProbeAsync(Guid serviceId, Target target, CancellationToken stoppingToken)
    {
        try
        {
            var (passed, output) = await RunAsync(target, stoppingToken);
            if (target.Health.Record(passed, output, clock.GetUtcNow()) && _targets.TryGetValue(serviceId, out var current) && current == target)
                queue.Look(serviceId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Health probe of service {ServiceId} failed unexpectedly", serviceId);
        }
        finally
        {
            Interlocked.Exchange(ref target.Probing, 0);
        }
    }

    private async Task<(bool Passed, string Output)> RunAsync(Target target, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(target.Check.Timeout);
        try
        {
            if (target.Check.Kind == ServiceHealthCheck.Tcp)
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(target.Address, target.Port, timeout.Token);
                return (true, "connected");
            }
            // No proxy, no redirect followed, a fresh connection each time (HttpStatusProbe): each probe is a fresh look.
            var status = await HttpStatusProbe.GetStatusAsync(target.Address, target.Port, target.Check.Path, timeout.Token);
            var expected = target.Check.ExpectedStatus;
            // As the in-container check: an expected 2xx accepts any 2xx (what wget calls success).
            var passed = expected is >= 200 and < 300 ? status is >= 200 and < 300 : status == expected;
            return (passed, $"HTTP {status.ToString(CultureInfo.InvariantCulture)}");
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (false, $"no answer within {target.Check.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return (false, e.Message);
        }
    }
}
