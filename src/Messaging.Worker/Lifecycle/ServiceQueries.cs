using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Containers;
using Messaging.Worker.Identity;

namespace Messaging.Worker.Lifecycle;

/// <summary>
/// What the answers to questions about a service (its logs, its stats) share: who may ask (the API, which checked the
/// token, or the system that owns the service), which container the question is about, and which reason code an
/// engine failure is answered with.
/// </summary>
public sealed class ServiceQueries(ServiceRecordStore records, CommandIdentity identity)
{
    /// <summary>
    /// The service's container if the publisher of <paramref name="context"/> may read it; null when the service does
    /// not exist, is not the asker's, or has no container (all answered <c>not_found</c>, alike).
    /// </summary>
    public async Task<ServiceContainer?> FindContainerAsync(ConsumeContext context, Guid serviceId)
    {
        var record = await records.GetAsync(serviceId);
        var publisher = identity.Resolve(context, requestedBy: null);
        if (record is null || publisher is null || !publisher.MayActOn(record) || string.IsNullOrEmpty(record.ContainerId))
            return null;
        return ServiceContainer.Of(record);
    }

    /// <summary>The reason code an engine failure is answered with: a container that is not ours counts as not found.</summary>
    public static string ReasonFor(ContainerRuntimeException e) => e switch
    {
        ForeignContainerException => RejectionReasons.NotFound,
        { Reason: FailureReasons.DockerUnavailable } => RejectionReasons.DockerUnavailable,
        _ => RejectionReasons.DockerError,
    };
}
