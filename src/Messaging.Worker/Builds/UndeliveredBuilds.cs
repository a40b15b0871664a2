using MassTransit;
using Messaging.Contracts;
using Messaging.State.Builds;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Builds;

/// <summary>
/// Fails, with <c>not_delivered</c>, the build records the API left pending because the broker never confirmed their
/// command, once <see cref="BuildOptions.UnconfirmedPendingExpiry"/> has passed and no worker took them: what services'
/// unconfirmed creates get from the reconciler. Every worker sweeps; the move is atomic, so one of them wins and
/// publishes <see cref="ImageBuildFailed"/>. A worker that receives the command after that finds the record failed
/// (<see cref="BuildStore.TryClaimAsync"/>) and replays the failure instead of building.
/// </summary>
public sealed class UndeliveredBuilds(BuildStore builds, IBus bus, IOptions<BuildOptions> options, TimeProvider clock, ILogger<UndeliveredBuilds> logger)
    : BackgroundService
{
    public const string Message = "The message broker never confirmed the build command and no worker received it; nothing was built.";

    /// <summary>How far back a sweep looks: older pending records were settled by earlier sweeps.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromDays(1);

    /// <summary>Fails the expired ones; returns how many.</summary>
    public async Task<int> SweepAsync()
    {
        var now = clock.GetUtcNow();
        var expired = 0;
        var before = now - options.Value.UnconfirmedPendingExpiry;
        foreach (var id in await builds.CreatedBetweenAsync(before - Window, before, 1_000))
        {
            if (await builds.GetAsync(id) is not { Status: BuildStatus.Pending, Unconfirmed: true } record || record.UpdatedAt > before)
                continue;
            if (!await builds.ExpireUnconfirmedAsync(id, BuildFailureReasons.NotDelivered, Message, now))
                continue;
            expired++;
            logger.LogWarning("Build {BuildId} of {Context} was pending and unconfirmed since {UpdatedAt:O}: failed (not_delivered)", id, record.Context, record.UpdatedAt);
            await bus.Publish(new ImageBuildFailed
            {
                CommandId = record.CommandId, BuildId = id, Context = record.Context, Owner = record.Owner,
                Reason = BuildFailureReasons.NotDelivered, Message = Message, FailedAt = now,
            });
        }
        return expired;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.PendingSweepInterval, clock, stoppingToken);
                await SweepAsync();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Sweeping undelivered builds failed; the next sweep tries again: {Error}", e.Message);
            }
        }
    }
}
