using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>Answers stats requests from the API, which has no socket of its own: one read of the engine's stats per request.</summary>
public sealed class GetServiceStatsConsumer(ServiceQueries queries, IContainerRuntime containers) : IConsumer<GetServiceStats>
{
    public async Task Consume(ConsumeContext<GetServiceStats> context)
    {
        var serviceId = context.Message.ServiceId;
        if (await queries.FindContainerAsync(context, serviceId) is not { } container)
        {
            await Unavailable(context, RejectionReasons.NotFound, "The service has no container.");
            return;
        }
        try
        {
            if (await containers.GetUsageAsync(container, context.CancellationToken) is not { } usage)
            {
                await Unavailable(context, RejectionReasons.WrongState, "The service's container is not running.");
                return;
            }
            await context.RespondAsync(new ServiceStats
            {
                ServiceId = serviceId, ReadAt = usage.ReadAt, CpuPercent = usage.CpuPercent, OnlineCpus = usage.OnlineCpus,
                MemoryUsedBytes = usage.MemoryUsedBytes, MemoryLimitBytes = usage.MemoryLimitBytes,
                NetworkRxBytes = usage.NetworkRxBytes, NetworkTxBytes = usage.NetworkTxBytes,
                BlockReadBytes = usage.BlockReadBytes, BlockWriteBytes = usage.BlockWriteBytes, Pids = usage.Pids,
            });
        }
        catch (ContainerRuntimeException e)
        {
            await Unavailable(context, ServiceQueries.ReasonFor(e), e.Message);
        }
    }

    private static Task Unavailable(ConsumeContext<GetServiceStats> context, string reason, string message) =>
        context.RespondAsync(new ServiceStatsUnavailable { ServiceId = context.Message.ServiceId, Reason = reason, Message = message });
}

public sealed class GetServiceStatsConsumerDefinition : ConsumerDefinition<GetServiceStatsConsumer>
{
    public GetServiceStatsConsumerDefinition()
    {
        EndpointName = CommandQueues.ServiceStats;
        // Each read holds an engine connection for about a second (the engine waits for its next sample).
        ConcurrentMessageLimit = 4;
    }
}
