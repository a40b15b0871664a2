namespace Messaging.ServiceDefaults.Health;

/// <summary>Health check tags: <see cref="Ready"/> checks decide readiness; liveness needs none.</summary>
public static class HealthTags
{
    /// <summary>Also the tag MassTransit gives its bus check.</summary>
    public const string Ready = "ready";
}
