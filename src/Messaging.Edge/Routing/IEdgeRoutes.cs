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

    /// <summary>The certificate each of <paramref name="hosts"/> is served with now, or why it has none.</summary>
    Task<IReadOnlyDictionary<string, CertificateState>> CertificatesAsync(IReadOnlyCollection<string> hosts, CancellationToken cancellationToken);
}

/// <summary>
/// A hostname's certificate at the edge: <c>issued</c> (with its expiry), <c>pending</c> (being obtained) or <c>failed</c>
/// (the last attempt failed, at <paramref name="FailedAt"/>, for <paramref name="Error"/>; the proxy keeps trying).
/// </summary>
public sealed record CertificateState(string Tls, DateTimeOffset? ExpiresAt, string? Error = null, DateTimeOffset? FailedAt = null);

/// <summary>The edge proxy could not be reached or refused the configuration.</summary>
public sealed class EdgeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
