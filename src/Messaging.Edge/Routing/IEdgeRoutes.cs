namespace Messaging.Edge.Routing;

/// <summary>
/// The edge proxy, seen from the system: it is told the whole route set at once and serves exactly that (routes
/// not in the set are gone). One implementation ships, Caddy's (<see cref="Caddy.CaddyEdgeRoutes"/>); another proxy
/// would implement this and nothing else.
/// </summary>
public interface IEdgeRoutes
{
    /// <summary>Serves exactly <paramref name="routes"/>, with a certificate for each hostname. Idempotent.</summary>
    /// <exception cref="EdgeUnavailableException">The proxy did not take the configuration.</exception>
    Task ApplyAsync(IReadOnlyList<EdgeRoute> routes, CancellationToken cancellationToken);
}

/// <summary>The edge proxy could not be reached or refused the configuration.</summary>
public sealed class EdgeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
