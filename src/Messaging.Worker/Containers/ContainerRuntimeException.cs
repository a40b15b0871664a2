using Messaging.Contracts;

namespace Messaging.Worker.Containers;

/// <summary>An engine operation failed; <see cref="Reason"/> is the code the failure event carries.</summary>
public class ContainerRuntimeException(string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>A container with that name exists already.</summary>
public sealed class ContainerNameConflictException(string name)
    : ContainerRuntimeException(FailureReasons.NameConflict, $"A container named '{name}' already exists.");

/// <summary>The engine could not bind the host port: something outside our reservations holds it.</summary>
public sealed class HostPortUnavailableException(int port, string detail)
    : ContainerRuntimeException(FailureReasons.DockerError, $"Host port {port} is unavailable: {detail}");

/// <summary>
/// The container an id points at is not the service's: it lacks our labels, belongs to another installation
/// or another service. Nothing was done to it.
/// </summary>
public sealed class ForeignContainerException(string containerId, Guid serviceId)
    : ContainerRuntimeException(FailureReasons.DockerError,
        $"Container {containerId} does not carry the labels of service {serviceId}; nothing was done to it.");
