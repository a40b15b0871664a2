using System.Text.Json.Nodes;
using Messaging.Edge;
using Messaging.Edge.Caddy;
using Messaging.Edge.Routing;

namespace Messaging.UnitTests.Edge;

public class CaddyConfigTests
{
    private static EdgeOptions Options(string mode = EdgeTlsOptions.Acme) => new()
    {
        AdminEndpoint = "unix:/run/edge/admin.sock", StorageDirectory = "/var/lib/edge", HttpsPort = 8443, HttpPort = 8080, ListenAddress = "127.0.0.1",
        Tls = new EdgeTlsOptions { Mode = mode, AcmeDirectory = "https://127.0.0.1:8400/dir", AcmeServerRootFile = "/pebble/tls.pem" },
    };

    private static readonly EdgeRoute[] Routes =
    [
        new("shop.apps.example.com", "127.0.0.1:15001", Guid.NewGuid(), "shop"),
        new("idle.apps.example.com", null, Guid.NewGuid(), "idle"),
    ];

    [Fact]
    public void Every_load_keeps_the_admin_endpoint_on_its_socket_and_nothing_persisted()
    {
        var admin = CaddyConfig.Build(Routes, Options())["admin"]!;
        Assert.Equal("unix//run/edge/admin.sock", (string?)admin["listen"]);
        Assert.False((bool)admin["config"]!["persist"]!);
    }

    [Fact]
    public void A_serving_route_proxies_and_a_held_one_answers_503_naming_the_service_and_unknown_names_get_404()
    {
        var routes = CaddyConfig.Build(Routes, Options())["apps"]!["http"]!["servers"]![CaddyConfig.ServerName]!["routes"]!.AsArray();
        Assert.Equal(3, routes.Count);
        Assert.Equal("reverse_proxy", (string?)routes[0]!["handle"]![0]!["handler"]);
        Assert.Equal("127.0.0.1:15001", (string?)routes[0]!["handle"]![0]!["upstreams"]![0]!["dial"]);
        var held = routes[1]!["handle"]![0]!;
        Assert.Equal(503, (int)held["status_code"]!);
        Assert.Contains("idle", (string?)held["body"], StringComparison.Ordinal);
        Assert.Null(routes[2]!["match"]);
        Assert.Equal(404, (int)routes[2]!["handle"]![0]!["status_code"]!);
    }

    [Fact]
    public void Acme_mode_names_the_directory_and_the_root_its_server_is_trusted_by_and_internal_mode_uses_caddys_ca_without_touching_the_trust_store()
    {
        var acme = Issuer(CaddyConfig.Build(Routes, Options()));
        Assert.Equal("acme", (string?)acme["module"]);
        Assert.Equal("https://127.0.0.1:8400/dir", (string?)acme["ca"]);
        Assert.Equal("/pebble/tls.pem", (string?)acme["trusted_roots_pem_files"]![0]);

        var config = CaddyConfig.Build(Routes, Options(EdgeTlsOptions.Internal));
        Assert.Equal("internal", (string?)Issuer(config)["module"]);
        Assert.False((bool)config["apps"]!["pki"]!["certificate_authorities"]!["local"]!["install_trust"]!);
    }

    [Fact]
    public void The_listener_is_the_configured_address_and_port()
    {
        var server = CaddyConfig.Build(Routes, Options())["apps"]!["http"]!["servers"]![CaddyConfig.ServerName]!;
        Assert.Equal("127.0.0.1:8443", (string?)server["listen"]![0]);
    }

    private static JsonNode Issuer(JsonObject config) => config["apps"]!["tls"]!["automation"]!["policies"]![0]!["issuers"]![0]!;
}
