using System.Net;
using Messaging.Validation.Webhooks;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

/// <summary>
/// Where webhook deliveries may connect. Cloud metadata is refused even when private addresses are allowed,
/// and an IPv4 address carried inside an IPv6 one (mapped, NAT64, 6to4, Teredo) is judged as that IPv4 address.
/// </summary>
public sealed class WebhookAddressPolicyTests
{
    private static WebhookAddressPolicy Policy(bool allowPrivate, params string[] denied) =>
        new(Options.Create(new WebhookOptions { AllowPrivateAddresses = allowPrivate, DeniedNetworks = [.. denied] }));

    [Theory]
    [InlineData("169.254.169.254")]          // AWS, GCP, Azure, OpenStack metadata
    [InlineData("fd00:ec2::254")]            // AWS metadata over IPv6
    [InlineData("100.100.100.200")]          // Alibaba Cloud metadata
    [InlineData("168.63.129.16")]            // Azure WireServer
    [InlineData("192.0.0.192")]              // Oracle Cloud metadata
    [InlineData("::ffff:169.254.169.254")]   // IPv4-mapped
    [InlineData("::169.254.169.254")]        // IPv4-compatible (deprecated, still routed by some stacks)
    [InlineData("64:ff9b::a9fe:a9fe")]       // NAT64 well-known prefix -> 169.254.169.254
    [InlineData("64:ff9b::6464:64c8")]       // NAT64 -> 100.100.100.200
    [InlineData("64:ff9b:1::a9fe:a9fe")]     // NAT64 local-use prefix -> 169.254.169.254
    [InlineData("2002:a9fe:a9fe::1")]        // 6to4 -> 169.254.169.254
    [InlineData("2002:6464:64c8::1")]        // 6to4 -> 100.100.100.200
    [InlineData("2001:0:cb00:710a::5601:5601")] // Teredo, client (inverted) 169.254.169.254
    [InlineData("2001:0:a9fe:a9fe::1")]      // Teredo, server 169.254.169.254
    [InlineData("fe80::1")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("ff02::1")]
    public void Metadata_and_unroutable_addresses_are_refused_even_with_private_addresses_allowed(string address)
    {
        Assert.NotNull(Policy(allowPrivate: true).CheckAddress(IPAddress.Parse(address)));
        Assert.NotNull(Policy(allowPrivate: false).CheckAddress(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.1.10")]
    [InlineData("100.64.0.1")]
    [InlineData("::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fec0::1")]                  // site-local (deprecated, still private)
    [InlineData("64:ff9b::7f00:1")]          // NAT64 -> 127.0.0.1
    [InlineData("64:ff9b::a01:203")]         // NAT64 -> 10.1.2.3
    [InlineData("2002:c0a8:10a::1")]         // 6to4 -> 192.168.1.10
    [InlineData("2002:7f00:1::1")]           // 6to4 -> 127.0.0.1
    [InlineData("2001:0:cb00:710a::80ff:fefe")] // Teredo, client (inverted) 127.0.1.1
    [InlineData("::ffff:10.1.2.3")]
    public void Private_addresses_and_those_wrapping_one_pass_only_when_allowed(string address)
    {
        Assert.NotNull(Policy(allowPrivate: false).CheckAddress(IPAddress.Parse(address)));
        Assert.Null(Policy(allowPrivate: true).CheckAddress(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("203.0.113.10")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("64:ff9b::cb00:710a")]       // NAT64 -> 203.0.113.10
    [InlineData("2002:cb00:710a::1")]        // 6to4 -> 203.0.113.10
    [InlineData("2001:0:cb00:710a::34ff:8ef5")] // Teredo between two public addresses
    public void Public_addresses_pass(string address) =>
        Assert.Null(Policy(allowPrivate: false).CheckAddress(IPAddress.Parse(address)));

    [Fact]
    public void The_problem_names_the_embedded_address_that_was_refused()
    {
        var problem = Policy(allowPrivate: true).CheckAddress(IPAddress.Parse("2002:a9fe:a9fe::1"));
        Assert.Contains("169.254.169.254", problem);
    }

    [Theory]
    [InlineData("10.20.0.0/16", "10.20.3.4")]
    [InlineData("10.20.0.0/16", "64:ff9b::a14:304")]
    [InlineData("fd00:1234::/32", "fd00:1234::5")]
    [InlineData("10.20.3.4", "10.20.3.4")]
    public void Operator_denied_networks_are_refused_even_with_private_addresses_allowed(string network, string address) =>
        Assert.NotNull(Policy(allowPrivate: true, network).CheckAddress(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://100.100.100.200/latest/meta-data/")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/hook")]
    [InlineData("http://[2002:a9fe:a9fe::1]/hook")]
    public async Task A_metadata_url_is_refused_with_private_addresses_allowed(string url) =>
        Assert.NotNull(await Policy(allowPrivate: true).CheckAsync(url, CancellationToken.None));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("not-a-network")]
    [InlineData("")]
    public void A_malformed_denied_network_fails_options_validation(string network)
    {
        var options = new WebhookOptions { DeniedNetworks = [network] };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(
            options, new System.ComponentModel.DataAnnotations.ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains(nameof(WebhookOptions.DeniedNetworks)));
    }
}
