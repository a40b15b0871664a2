using Messaging.Contracts;

namespace Messaging.Worker.Policy;

/// <summary>
/// An allowlist entry's default supervision policy; a create request may override <see cref="Restart"/>,
/// <see cref="MaxRestarts"/> (up to <c>Supervisor:MaxRestartsCap</c>) and <see cref="OnUnhealthy"/>.
/// </summary>
public sealed class RestartDefaults
{
    /// <summary>
    /// One of <see cref="RestartPolicies"/>. <c>always</c> by default, like the engine's <c>unless-stopped</c> the worker
    /// used before it supervised: a dockerd restart stops every container, most of them with code 0 (a graceful exit
    /// on SIGTERM), and those must come back too.
    /// </summary>
    public string Restart { get; set; } = RestartPolicies.Always;

    /// <summary>Restarts allowed within <see cref="Window"/> before the service is <c>crash_looping</c>.</summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>The window restarts are counted in; it starts with the first restart after a quiet spell.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>One of <see cref="UnhealthyActions"/>.</summary>
    public string OnUnhealthy { get; set; } = UnhealthyActions.Restart;

    public IEnumerable<string> Problems(string image)
    {
        var where = $"Policy:AllowedImages '{image}': Supervision";
        if (!RestartPolicies.All.Contains(Restart))
            yield return $"{where}:Restart '{Restart}' must be one of {string.Join(", ", RestartPolicies.All)}.";
        if (!UnhealthyActions.All.Contains(OnUnhealthy))
            yield return $"{where}:OnUnhealthy '{OnUnhealthy}' must be one of {string.Join(", ", UnhealthyActions.All)}.";
        if (MaxRestarts is < 0 or > Validation.ServiceRules.MaxRestartsLimit)
            yield return $"{where}:MaxRestarts must be 0-{Validation.ServiceRules.MaxRestartsLimit}.";
        if (Window < TimeSpan.FromSeconds(1))
            yield return $"{where}:Window must be at least 1 second.";
    }
}
