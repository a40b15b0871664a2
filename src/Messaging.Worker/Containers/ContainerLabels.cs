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

    /// <summary>On a stack member and on its stack's network: the stack id (issue 16).</summary>
    public const string StackId = "messaging.stack-id";

    /// <summary>
    /// The service's extra hostnames, space-separated (absent when it has none). A container's labels are fixed at
    /// creation, and so are its hostnames: after Redis lost them, the reconciler takes their reservations and the
    /// record's list back from here, so the edge serves them again.
    /// </summary>
    public const string Hostnames = "messaging.hostnames";

    /// <summary>The extra hostnames a container was created with (<see cref="Hostnames"/>).</summary>
    public static IReadOnlyList<string> HostnamesOf(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(Hostnames, out var value) ? value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>
    /// Whether a container's labels say it is this service's container in this installation. A container id
    /// read from Redis is acted on only when this holds: Redis is writable by more than the worker.
    /// </summary>
    public static bool BelongTo(IReadOnlyDictionary<string, string> labels, string instance, Guid serviceId) =>
        labels.TryGetValue(Managed, out var managed) && managed == "true" &&
        labels.TryGetValue(Instance, out var labelled) && labelled == instance &&
        labels.TryGetValue(ServiceId, out var id) && id == serviceId.ToString("D");
}
