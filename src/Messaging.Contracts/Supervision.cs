namespace Messaging.Contracts;

/// <summary>What the supervisor does when a service's container exits (<see cref="CreateService.Restart"/>).</summary>
public static class RestartPolicies
{
    /// <summary>Never restarted: an exit leaves the service <c>stopped</c>.</summary>
    public const string Never = "never";
    /// <summary>Restarted when it exits with a code other than 0 (an OOM kill included).</summary>
    public const string OnFailure = "on-failure";
    /// <summary>Restarted whatever the exit code (a user's stop is never undone).</summary>
    public const string Always = "always";

    /// <summary>Every value.</summary>
    public static IReadOnlyList<string> All { get; } = [Never, OnFailure, Always];
}

/// <summary>What the supervisor does when a service's health check fails (<see cref="CreateService.OnUnhealthy"/>).</summary>
public static class UnhealthyActions
{
    /// <summary>The container is restarted (counted like a restart after an exit).</summary>
    public const string Restart = "restart";
    /// <summary>Only reported (<see cref="ServiceUnhealthy"/>, <c>health: unhealthy</c>); the container keeps running.</summary>
    public const string Report = "report";

    /// <summary>Every value.</summary>
    public static IReadOnlyList<string> All { get; } = [Restart, Report];
}

/// <summary>A service's health as the record and the REST API show it.</summary>
public static class ServiceHealth
{
    /// <summary>Its health check has not passed yet since the container started (start period, first probes).</summary>
    public const string Starting = "starting";
    /// <summary>Its health check passes.</summary>
    public const string Healthy = "healthy";
    /// <summary>Its health check failed its retries.</summary>
    public const string Unhealthy = "unhealthy";
    /// <summary>The service has no health check, or its container is not running.</summary>
    public const string None = "none";

    /// <summary>Every value.</summary>
    public static IReadOnlyList<string> All { get; } = [Starting, Healthy, Unhealthy, None];
}
