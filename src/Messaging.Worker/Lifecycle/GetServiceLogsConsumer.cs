using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Lifecycle;

/// <summary>Answers log requests from the API, which has no socket of its own.</summary>
public sealed class GetServiceLogsConsumer(ServiceQueries queries, IContainerRuntime containers) : IConsumer<GetServiceLogs>
{
    public const int MaxTail = 1000;

    public async Task Consume(ConsumeContext<GetServiceLogs> context)
    {
        var request = context.Message;
        // Only the API (which checked the token) or the system that owns the service may read its output.
        if (await queries.FindContainerAsync(context, request.ServiceId) is not { } container)
        {
            await context.RespondAsync(new ServiceLogsUnavailable
            {
                ServiceId = request.ServiceId, Reason = RejectionReasons.NotFound, Message = "The service has no container.",
            });
            return;
        }
        try
        {
            var lines = await containers.GetLogsAsync(container, Math.Clamp(request.Tail, 1, MaxTail), context.CancellationToken);
            await context.RespondAsync(new ServiceLogs { ServiceId = request.ServiceId, Lines = lines });
        }
        catch (ContainerRuntimeException e)
        {
            await context.RespondAsync(new ServiceLogsUnavailable { ServiceId = request.ServiceId, Reason = ServiceQueries.ReasonFor(e), Message = e.Message });
        }
    }
}

public sealed class GetServiceLogsConsumerDefinition : ConsumerDefinition<GetServiceLogsConsumer>
{
    public GetServiceLogsConsumerDefinition()
    {
        EndpointName = CommandQueues.ServiceLogs;
        ConcurrentMessageLimit = 4;
    }
}
