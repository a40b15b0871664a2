namespace Messaging.Contracts;

/// <summary>
/// The edge could not obtain a certificate for one of a service's hostnames (the CA refused or could not be reached).
/// The edge keeps trying on its own schedule (Caddy's: growing waits); the route's <c>tls</c> is <c>failed</c> until
/// a certificate is issued. Published by the edge host once per failed attempt Caddy logged (Caddy spaces its retries
/// out), not at every sync. Like the supervisor's events it implements <see cref="IServiceEvent"/> with an empty
/// <c>CommandId</c> (no command asked for it), so the audit trail, webhooks and live streams carry it. Added with issue 15.
/// </summary>
public sealed record ServiceCertificateFailed : IServiceEvent
{
    /// <summary>Always empty: no command caused this.</summary>
    public Guid CommandId { get; init; }
    /// <summary>The service.</summary>
    public Guid ServiceId { get; init; }
    /// <summary>Its name.</summary>
    public string ServiceName { get; init; } = "";
    /// <summary>The hostname without a certificate.</summary>
    public string Host { get; init; } = "";
    /// <summary>The CA's or the network's error, as the edge logged it.</summary>
    public string Error { get; init; } = "";
    /// <summary>When the attempt failed.</summary>
    public DateTimeOffset At { get; init; }
}
