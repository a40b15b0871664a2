using MassTransit;

namespace Messaging.ServiceDefaults.Bus;

/// <summary>
/// Names a host's temporary bus endpoint (replies, faults) <c>&lt;role&gt;_bus_&lt;id&gt;</c> instead of
/// MassTransit's <c>&lt;machine&gt;_&lt;process&gt;_bus_&lt;id&gt;</c>: every host runs as process "dotnet" in its
/// container, so only the role lets the broker's permissions tell the API's reply queue from the worker's
/// (infra/rabbitmq/process-permissions.sh).
/// </summary>
public static class BusEndpointName
{
    public static void NameBusEndpoint(this IRabbitMqBusFactoryConfigurator bus, string role) =>
        bus.OverrideDefaultBusEndpointQueueName($"{role}_bus_{NewId.NextGuid():N}");
}
