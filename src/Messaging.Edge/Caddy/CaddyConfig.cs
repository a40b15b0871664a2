using System.Net;
using System.Text.Json.Nodes;
using Messaging.Edge.Routing;

namespace Messaging.Edge.Caddy;

/// <summary>
/// Caddy's whole JSON configuration for a route set. The admin section is part of it: a <c>/load</c> replaces everything,
/// so a configuration without it would move the admin endpoint back to Caddy's default (TCP localhost:2019).
/// </summary>
internal static class CaddyConfig
{
    public const string ServerName = "edge";

    public static JsonObject Build(IReadOnlyList<EdgeRoute> routes, EdgeOptions options)
    {
        var listen = $"{FormatHost(options.ListenAddress)}:{options.HttpsPort}";
        var handlers = new JsonArray();
        foreach (var route in routes)
            handlers.Add(Route(route));
        handlers.Add(new JsonObject { ["handle"] = new JsonArray(StaticPage(404, EdgePages.NotFound())) });

        return new JsonObject
        {
            ["admin"] = Admin(options.AdminEndpoint),
            ["storage"] = new JsonObject { ["module"] = "file_system", ["root"] = options.StorageDirectory },
            // The issuance log is how the edge host learns that a certificate could not be obtained (CertificateStatus).
            ["logging"] = new JsonObject
            {
                ["logs"] = new JsonObject
                {
                    ["tls-issuance"] = new JsonObject
                    {
                        ["writer"] = new JsonObject { ["output"] = "file", ["filename"] = options.IssuanceLogPath },
                        ["encoder"] = new JsonObject { ["format"] = "json" },
                        ["include"] = new JsonArray("tls.obtain"),
                    },
                },
            },
            ["apps"] = new JsonObject
            {
                ["http"] = new JsonObject
                {
                    ["http_port"] = options.HttpPort,
                    ["https_port"] = options.HttpsPort,
                    ["servers"] = new JsonObject
                    {
                        [ServerName] = new JsonObject { ["listen"] = new JsonArray(listen), ["routes"] = handlers },
                    },
                },
                ["tls"] = new JsonObject
                {
                    ["automation"] = new JsonObject { ["policies"] = new JsonArray(new JsonObject { ["issuers"] = new JsonArray(Issuer(options.Tls)) }) },
                },
                // The internal CA's root is never written to this machine's trust store: clients are told to trust it.
                ["pki"] = new JsonObject
                {
                    ["certificate_authorities"] = new JsonObject { ["local"] = new JsonObject { ["install_trust"] = false } },
                },
            },
        };
    }

    private static JsonObject Route(EdgeRoute route) => new()
    {
        ["match"] = new JsonArray(new JsonObject { ["host"] = new JsonArray(route.Host) }),
        ["handle"] = new JsonArray(route.Upstream is { } upstream
            ? new JsonObject { ["handler"] = "reverse_proxy", ["upstreams"] = new JsonArray(new JsonObject { ["dial"] = upstream }) }
            : StaticPage(503, EdgePages.Unavailable(route.Name), retryAfterSeconds: 30)),
        ["terminal"] = true,
    };

    private static JsonObject StaticPage(int status, string html, int? retryAfterSeconds = null)
    {
        var headers = new JsonObject
        {
            ["Content-Type"] = new JsonArray("text/html; charset=utf-8"),
            ["Cache-Control"] = new JsonArray("no-store"),
        };
        if (retryAfterSeconds is { } seconds)
            headers["Retry-After"] = new JsonArray(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new JsonObject { ["handler"] = "static_response", ["status_code"] = status, ["headers"] = headers, ["body"] = html };
    }

    private static JsonObject Issuer(EdgeTlsOptions tls)
    {
        if (tls.Mode == EdgeTlsOptions.Internal)
            return new JsonObject { ["module"] = "internal" };
        var acme = new JsonObject { ["module"] = "acme", ["ca"] = tls.AcmeDirectory };
        if (tls.AcmeEmail.Length > 0)
            acme["email"] = tls.AcmeEmail;
        if (tls.AcmeServerRootFile.Length > 0)
            acme["trusted_roots_pem_files"] = new JsonArray(tls.AcmeServerRootFile);
        return acme;
    }

    /// <summary>
    /// Caddy's notation for the admin listener: <c>unix//path</c> or <c>host:port</c>. The origins Caddy accepts in the
    /// Host header are named, since over a unix socket Caddy would otherwise accept only an empty one, which HTTP/1.1
    /// clients cannot send.
    /// </summary>
    private static JsonObject Admin(string endpoint)
    {
        string listen, origin;
        if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
        {
            listen = "unix/" + endpoint["unix:".Length..];
            origin = CaddyAdminClient.UnixSocketHost;
        }
        else
        {
            var uri = new Uri(endpoint);
            listen = origin = uri.Authority;
        }
        return new JsonObject
        {
            ["listen"] = listen,
            ["origins"] = new JsonArray(origin),
            // Nothing kept on Caddy's side: after a restart the edge host loads the configuration again.
            ["config"] = new JsonObject { ["persist"] = false },
        };
    }

    private static string FormatHost(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address;
}
