using Messaging.State.Pools;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

/// <summary>
/// Makes one warm member: a port within the pool budget (Redis), then the container from the worker's one
/// <see cref="ContainerSpecBuilder"/> (the pool's approved template: the entry's user, capabilities, read-only root,
/// tmpfs, health check, log limits, network, pids limit) with the service labels swapped for the pool's, started, and
/// made claimable. A member that fails on the way is removed and its port given back.
/// </summary>
public sealed class PoolMemberFactory(
    PoolState state,
    PoolEngine engine,
    ContainerSpecBuilder specs,
    PoolTelemetry telemetry,
    IOptions<PoolOptions> options,
    ILogger<PoolMemberFactory> logger)
{
    /// <summary>Creates a member of <paramref name="pool"/>; false when the budget, the ports or the engine refused one.</summary>
    public async Task<bool> CreateAsync(PoolDefinition pool, CancellationToken cancellationToken)
    {
        var memberId = Guid.NewGuid();
        var (outcome, port) = await state.ReserveMemberAsync(pool.Name, memberId, options.Value.MaxMembers, cancellationToken);
        if (outcome != MemberReserveOutcome.Reserved)
        {
            logger.LogDebug("No new member for {Pool}: {Outcome}", pool.Name, outcome);
            return false;
        }
        string? containerId = null;
        try
        {
            var spec = SpecFor(pool, memberId, port);
            containerId = await engine.CreateAsync(spec, cancellationToken);
            await engine.StartAsync(containerId, cancellationToken);
            if (!await state.MarkReadyAsync(pool.Name, memberId, containerId))
                throw new ContainerRuntimeException(Messaging.Contracts.FailureReasons.DockerError, "The member was retired while it was created.");
            telemetry.Refills.Add(1, new KeyValuePair<string, object?>("outcome", "ready"));
            return true;
        }
        catch (Exception e) when (e is ContainerRuntimeException or OperationCanceledException)
        {
            telemetry.Refills.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            if (e is ContainerRuntimeException)
                logger.LogWarning("Pool member of {Pool} not created: {Message}", pool.Name, e.Message);
            if (containerId is not null)
                await engine.RemoveAsync(containerId, CancellationToken.None);
            await state.RetireAsync(pool.Name, memberId, evenCreating: true);
            await state.ForgetAsync(pool.Name, memberId);
            return false;
        }
    }

    /// <summary>The member's spec: the service spec of the pool's template, labelled as a member instead of a service.</summary>
    public ContainerSpec SpecFor(PoolDefinition pool, Guid memberId, int port)
    {
        var template = pool.Template with
        {
            Command = pool.Template.Command with { ServiceId = memberId, ServiceName = $"pool-{memberId:N}", Env = null, Hostnames = null },
        };
        var spec = specs.Build(template, port);
        var labels = spec.Labels
            .Where(l => l.Key is not (ContainerLabels.ServiceId or ContainerLabels.Owner or ContainerLabels.ServiceName or ContainerLabels.CommandId or ContainerLabels.Hostnames))
            .ToDictionary(l => l.Key, l => l.Value);
        labels[PoolLabels.Pool] = pool.Name;
        labels[PoolLabels.Member] = memberId.ToString("D");
        return spec with { Labels = labels };
    }
}
