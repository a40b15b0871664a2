using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// Ends the process (exit code <see cref="ExitCode"/>) when its bus stays short of healthy for
/// <see cref="RabbitMqOptions.StalledBusExitAfter"/> although the broker accepts connections, so that what runs it
/// (compose's <c>restart: unless-stopped</c>, <c>infra/run.sh</c>) starts a fresh one.
/// Why: MassTransit 8.5 gives up on a receive endpoint for good when its transport fails with an
/// <see cref="OperationCanceledException"/> that is not its own stop (the retry loop of its receive transport ends;
/// MassTransit#5942). After a RabbitMQ restart an endpoint can so stay "faulted" and consume nothing while its queue
/// fills. A stop and start of the bus in the same process does not bring it back (tried: the endpoints stayed
/// degraded), a new process does. Nothing is lost by exiting: unacknowledged deliveries go back to their queues, every
/// consumer is idempotent, and the worker's start reconciles (docs/FAULTS.md, "RabbitMQ restart, endpoints left
/// degraded"). While the broker itself refuses connections the process waits: a new one could do no better.
/// </summary>
public sealed partial class StalledBusExit(
    IBusControl bus, IOptions<RabbitMqOptions> options, IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<StalledBusExit> log)
    : BackgroundService
{
    /// <summary>EX_TEMPFAIL: a temporary failure; run me again.</summary>
    public const int ExitCode = 75;

    private static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var detector = new StalledBusDetector(options.Value.StalledBusExitAfter);
        if (detector.Limit <= TimeSpan.Zero)
            return;
        using var timer = new PeriodicTimer(LookEvery, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var health = bus.CheckHealth();
            if (!detector.HasStalledTooLong(health.Status, clock.GetUtcNow()))
                continue;
            if (!await BrokerAcceptsAsync(stoppingToken))
            {
                LogBrokerAway(detector.StalledFor);
                continue;
            }
            LogExiting(detector.StalledFor, health.Status, health.Description);
            Environment.ExitCode = ExitCode;
            lifetime.StopApplication();
            return;
        }
    }

    private async Task<bool> BrokerAcceptsAsync(CancellationToken stoppingToken)
    {
        var rabbit = options.Value;
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await client.ConnectAsync(rabbit.Host, rabbit.Port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Critical, "The bus has been {Status} for {StalledFor} while the broker accepts connections (RabbitMq:StalledBusExitAfter): exiting with code 75 so that a fresh process takes over ({Description})")]
    private partial void LogExiting(TimeSpan stalledFor, BusHealthStatus status, string? description);

    [LoggerMessage(LogLevel.Warning, "The bus has been short of healthy for {StalledFor}; the broker refuses connections, so waiting for it")]
    private partial void LogBrokerAway(TimeSpan stalledFor);
}
