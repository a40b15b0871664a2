namespace Messaging.Edge.Routing;

/// <summary>
/// What one hostname answers at the edge: the service's published port (<see cref="Upstream"/>), or, while the
/// service exists but may not be served (stopped, starting, unhealthy), a 503 page naming it.
/// </summary>
/// <param name="Host">The hostname, normalized (lower case, no trailing dot).</param>
/// <param name="Upstream">The <c>host:port</c> the edge proxies to; null: the 503 page.</param>
/// <param name="ServiceId">The service the hostname belongs to; null for the API's own hostname.</param>
/// <param name="Name">The service's name (or <c>api</c>), shown on the 503 page.</param>
public sealed record EdgeRoute(string Host, string? Upstream, Guid? ServiceId, string Name)
{
    public bool Serves => Upstream is not null;
}
