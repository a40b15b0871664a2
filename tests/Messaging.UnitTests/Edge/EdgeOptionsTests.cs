using Messaging.Edge;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests.Edge;

/// <summary>Whoever reaches Caddy's admin endpoint rewrites every route: the edge host refuses to start with one that others could reach.</summary>
public class EdgeOptionsTests
{
    [Theory]
    [InlineData("unix:/run/messaging-edge/admin.sock")]
    [InlineData("http://127.0.0.1:2019")]
    [InlineData("http://[::1]:2019")]
    [InlineData("http://localhost:2019")]
    public void A_unix_socket_or_a_loopback_address_is_accepted(string endpoint) =>
        Assert.True(EdgeOptions.AdminEndpointIsLocal(endpoint));

    [Theory]
    [InlineData("http://0.0.0.0:2019")]
    [InlineData("http://172.17.0.1:2019")]
    [InlineData("http://caddy:2019")]
    [InlineData("https://127.0.0.1:2019")]
    [InlineData("unix:relative.sock")]
    [InlineData("127.0.0.1:2019")]
    [InlineData("")]
    public void Any_other_admin_endpoint_is_refused(string endpoint) =>
        Assert.False(EdgeOptions.AdminEndpointIsLocal(endpoint));

    [Fact]
    public async Task The_edge_host_does_not_start_with_an_admin_endpoint_on_a_reachable_address()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Edge:BaseDomain"] = "apps.example.com",
            ["Edge:AdminEndpoint"] = "http://0.0.0.0:2019",
            ["Edge:StorageDirectory"] = "/tmp",
        });
        builder.AddEdgeHost();
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Edge:AdminEndpoint 'http://0.0.0.0:2019'", error.Message, StringComparison.Ordinal);
    }
}
