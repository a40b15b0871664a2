using System.Net.Http.Headers;
using System.Text;
using Messaging.Edge.Routing;
using Microsoft.Extensions.Options;

namespace Messaging.Edge.Caddy;

/// <summary>
/// Caddy as the edge, through its admin API: every change loads the whole configuration (<c>POST /load</c>). Caddy
/// compares it with the running one and does nothing when it is the same, so the periodic sync costs one request; after
/// a restart (Caddy keeps nothing: <c>persist</c> is off) the next sync puts every route back.
/// </summary>
public sealed class CaddyEdgeRoutes : IEdgeRoutes, IDisposable
{
    private readonly HttpClient _admin;
    private readonly EdgeOptions _options;
    private readonly ILogger<CaddyEdgeRoutes> _logger;
    private readonly CaddyCertificates _certificates;
    private readonly Lock _certificatesGate = new();

    public CaddyEdgeRoutes(IOptions<EdgeOptions> options, TimeProvider clock, ILogger<CaddyEdgeRoutes> logger)
    {
        _options = options.Value;
        _logger = logger;
        _admin = CaddyAdminClient.Create(_options.AdminEndpoint);
        _certificates = new CaddyCertificates(_options, clock);
    }

    public Task<IReadOnlyDictionary<string, CertificateState>> CertificatesAsync(IReadOnlyCollection<string> hosts, CancellationToken cancellationToken)
    {
        lock (_certificatesGate)
            return Task.FromResult(_certificates.Read(hosts));
    }

    public async Task ApplyAsync(IReadOnlyList<EdgeRoute> routes, CancellationToken cancellationToken)
    {
        var json = CaddyConfig.Build(routes, _options).ToJsonString();
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        try
        {
            response = await _admin.PostAsync("load", content, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new EdgeUnavailableException($"Caddy's admin endpoint {_options.AdminEndpoint} does not answer: {e.Message}", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new EdgeUnavailableException($"Caddy refused the configuration ({(int)response.StatusCode}): {error}");
            }
        }
        _logger.LogDebug("Caddy serves {Count} routes", routes.Count);
    }

    public void Dispose() => _admin.Dispose();
}
