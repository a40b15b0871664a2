namespace Messaging.Worker.Containers;

/// <summary>The labels that mark a container as ours. Nothing else decides ownership.</summary>
public static class ContainerLabels
{
    public const string Namespace = "messaging.";
    public const string Managed = "messaging.managed";
    public const string ServiceId = "messaging.service-id";
    public const string Owner = "messaging.owner";
    public const string ServiceName = "messaging.service-name";
    public const string Instance = "messaging.instance";
    public const string CommandId = "messaging.command-id";

    /// <summary>
    /// Whether a container's labels say it is this service's container in this installation. A container id
    /// read from Redis is acted on only when this holds: Redis is writable by more than the worker.
    /// </summary>
    public static bool BelongTo(IReadOnlyDictionary<string, string> labels, string instance, Guid serviceId) =>
        labels.TryGetValue(Managed, out var managed) && managed == "true" &&
        labels.TryGetValue(Instance, out var labelled) && labelled == instance &&
        labels.TryGetValue(ServiceId, out var id) && id == serviceId.ToString("D");
}
