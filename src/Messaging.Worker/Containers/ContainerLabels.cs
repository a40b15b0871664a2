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
}
