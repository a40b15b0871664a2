using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Containers;
using Messaging.Worker.Identity;

namespace Messaging.Worker.Lifecycle;

/// <summary>Answers log requests from the API, which has no socket of its own.</summary>
public sealed class GetServiceLogsConsumer(ServiceRecordStore records, IContainerRuntime containers, CommandIdentity identity) : IConsumer<GetServiceLogs>
{
    public const int MaxTail = 1000;

    public async Task Consume(ConsumeContext<GetServiceLogs> context)
    {
        var request = context.Message;
        var record = await records.GetAsync(request.ServiceId);
        // Only the API (which checked the token) or the system that owns the service may read its output.
        var publisher = identity.Resolve(context, requestedBy: null);
        if (record is null || publisher is null || !publisher.MayActOn(record) || string.IsNullOrEmpty(record.ContainerId))
        {
            await context.RespondAsync(new ServiceLogsUnavailable
            {
                ServiceId = request.ServiceId, Reason = RejectionReasons.NotFound, Message = "The service has no container.",
            });
            return;
        }
        try
        {
            var lines = await containers.GetLogsAsync(new ServiceContainer(record.ContainerId, record.ServiceId), Math.Clamp(request.Tail, 1, MaxTail), context.CancellationToken);
            await context.RespondAsync(new ServiceLogs { ServiceId = request.ServiceId, Lines = lines });
        }
        catch (ContainerRuntimeException e)
        {
            await context.RespondAsync(new ServiceLogsUnavailable
            {
                ServiceId = request.ServiceId,
                Reason = e switch
                {
                    ForeignContainerException => RejectionReasons.NotFound,
                    { Reason: FailureReasons.DockerUnavailable } => RejectionReasons.DockerUnavailable,
                    _ => RejectionReasons.DockerError,
                },
                Message = e.Message,
            });
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
