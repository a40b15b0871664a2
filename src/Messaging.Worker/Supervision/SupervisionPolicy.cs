using Messaging.Contracts;
using Messaging.State;
using Messaging.Worker.Policy;

namespace Messaging.Worker.Supervision;

/// <summary>
/// A service's effective supervision policy: its create request's overrides over its allowlist entry's defaults
/// (<see cref="RestartDefaults"/>), the restart count capped by <see cref="SupervisorOptions.MaxRestartsCap"/>.
/// </summary>
public sealed record SupervisionPolicy(string Restart, int MaxRestarts, TimeSpan Window, string OnUnhealthy)
{
    public static SupervisionPolicy For(ServiceRecord record, AllowedImage? entry, SupervisorOptions options)
    {
        var defaults = entry?.Supervision ?? new RestartDefaults();
        var overrides = record.Overrides;
        return new SupervisionPolicy(
            overrides.Restart ?? defaults.Restart,
            overrides.MaxRestarts is { } asked ? Math.Min(asked, options.MaxRestartsCap) : defaults.MaxRestarts,
            defaults.Window,
            overrides.OnUnhealthy ?? defaults.OnUnhealthy);
    }

    /// <summary>Whether an exit with this code is one the policy restarts (an OOM kill is a failure whatever its code).</summary>
    public bool RestartsAfter(long exitCode, bool oomKilled) => Restart switch
    {
        RestartPolicies.Always => true,
        RestartPolicies.OnFailure => exitCode != 0 || oomKilled,
        _ => false,
    };

    /// <summary>
    /// The restart that follows a failure (an exit or a failed health check) given the restarts already made, or null
    /// when the service has used up its restarts in the window: it is crash-looping. A container that ran stably
    /// before it failed, or a failure after the window ran out, starts a fresh window.
    /// </summary>
    public RestartPlan? NextRestart(RestartState state, bool ranStably, DateTimeOffset now, SupervisorOptions options, double random)
    {
        var fresh = ranStably || state.WindowStartedAt is null || now - state.WindowStartedAt.Value > Window;
        var made = fresh ? 0 : state.Attempts;
        if (made + 1 > MaxRestarts)
            return null;
        var attempt = made + 1;
        // The first restart of a window costs nothing but the engine's start; backoff begins with the second.
        var delay = attempt == 1 ? options.FirstRestartDelay : RestartBackoff.Delay(attempt - 1, options.BackoffBase, options.BackoffCap, random);
        return new RestartPlan(attempt, fresh ? now : state.WindowStartedAt!.Value, delay);
    }
}

/// <summary>Restart number <paramref name="Attempt"/> of the window begun at <paramref name="WindowStartedAt"/>, after <paramref name="Delay"/>.</summary>
public sealed record RestartPlan(int Attempt, DateTimeOffset WindowStartedAt, TimeSpan Delay);
