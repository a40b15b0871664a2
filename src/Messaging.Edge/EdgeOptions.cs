using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Messaging.Edge;

/// <summary>How the edge host drives Caddy (section <c>Edge</c>; the hostnames themselves are <see cref="Validation.Hostnames.HostnameOptions"/>).</summary>
public sealed class EdgeOptions : IValidatableObject
{
    public const string Section = "Edge";

    /// <summary>
    /// Caddy's admin endpoint: a unix socket (<c>unix:/run/messaging-edge/admin.sock</c>, the default choice) or a
    /// loopback URL (<c>http://127.0.0.1:2019</c>). Anything else is refused at start: whoever reaches the admin
    /// endpoint rewrites every route, so it never listens where services or the outside could reach it.
    /// </summary>
    [Required]
    public string AdminEndpoint { get; set; } = "";

    /// <summary>Address Caddy's listeners bind (empty: every interface).</summary>
    public string ListenAddress { get; set; } = "";

    [Range(1, 65535)]
    public int HttpPort { get; set; } = 80;

    [Range(1, 65535)]
    public int HttpsPort { get; set; } = 443;

    /// <summary>Caddy's storage (certificates, ACME accounts); the edge host reads the certificates there.</summary>
    [Required]
    public string StorageDirectory { get; set; } = "";

    /// <summary>Where Caddy writes its certificate issuance log (JSON lines); default <c>{StorageDirectory}/tls-issuance.log</c>.</summary>
    public string? IssuanceLogFile { get; set; }

    public EdgeTlsOptions Tls { get; set; } = new();

    /// <summary>How often the whole route set is written again from the records (Caddy restarted or its config lost).</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Address Caddy dials for a service's published port (a port published on <c>0.0.0.0</c> is dialled here too).
    /// Empty: the record's host, the worker's <c>Docker:PublishAddress</c>.
    /// </summary>
    public string UpstreamHost { get; set; } = "";

    /// <summary>The REST API's address (<c>127.0.0.1:8080</c>): served at <c>https://api.{BaseDomain}</c>. Empty: not served.</summary>
    public string ApiUpstream { get; set; } = "";

    public string IssuanceLogPath => string.IsNullOrEmpty(IssuanceLogFile) ? Path.Combine(StorageDirectory, "tls-issuance.log") : IssuanceLogFile;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!AdminEndpointIsLocal(AdminEndpoint))
            yield return new ValidationResult(
                $"Edge:AdminEndpoint '{AdminEndpoint}' must be a unix socket (unix:/path) or an http URL on a loopback address: " +
                "whoever reaches Caddy's admin endpoint controls every route.", [nameof(AdminEndpoint)]);
        if (Tls.Mode is not (EdgeTlsOptions.Acme or EdgeTlsOptions.Internal))
            yield return new ValidationResult($"Edge:Tls:Mode must be '{EdgeTlsOptions.Acme}' or '{EdgeTlsOptions.Internal}'.", [nameof(Tls)]);
        if (Tls.Mode == EdgeTlsOptions.Acme && !Uri.TryCreate(Tls.AcmeDirectory, UriKind.Absolute, out _))
            yield return new ValidationResult("Edge:Tls:AcmeDirectory must be an absolute URL.", [nameof(Tls)]);
    }

    /// <summary>A unix socket, or http on a loopback address (a name is accepted only as <c>localhost</c>).</summary>
    public static bool AdminEndpointIsLocal(string endpoint)
    {
        if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
            return endpoint.Length > "unix:".Length && Path.IsPathRooted(endpoint["unix:".Length..]);
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
            return false;
        return uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }
}

/// <summary>Where certificates come from.</summary>
public sealed class EdgeTlsOptions
{
    public const string Acme = "acme";
    public const string Internal = "internal";

    /// <summary><c>acme</c> (an ACME CA, Let's Encrypt by default) or <c>internal</c> (Caddy's own CA, for closed networks).</summary>
    public string Mode { get; set; } = Acme;

    public string AcmeDirectory { get; set; } = "https://acme-v02.api.letsencrypt.org/directory";

    /// <summary>Contact address given to the CA (expiry notices); optional.</summary>
    public string AcmeEmail { get; set; } = "";

    /// <summary>A PEM file of roots to trust for the ACME server's own HTTPS (a private CA such as pebble); empty: the system's.</summary>
    public string AcmeServerRootFile { get; set; } = "";
}
