using Messaging.Contracts;
using Messaging.Validation.Hostnames;

namespace Messaging.UnitTests.Edge;

public class HostnamePolicyTests
{
    private static readonly HostnameOptions Options = new() { BaseDomain = "apps.example.com", AllowedSuffixes = ["customers.example.net", ".shop.example.org"] };

    [Theory]
    [InlineData("a.customers.example.net")]
    [InlineData("customers.example.net")]
    [InlineData("deep.a.customers.example.net")]
    [InlineData("x.shop.example.org")]
    [InlineData("www.shop.apps.example.com")]   // below the service's own hostname
    public void Names_under_an_allowed_suffix_or_below_the_services_own_hostname_pass(string host) =>
        Assert.Null(HostnamePolicy.Check([host], "shop", Options));

    [Theory]
    [InlineData("evilcustomers.example.net")]   // a suffix matches on a label boundary only
    [InlineData("a.example.net")]
    [InlineData("shop.apps.example.com")]       // its own hostname: it has it already, and it is not extra
    [InlineData("other.apps.example.com")]      // another service's hostname
    [InlineData("api.apps.example.com")]
    [InlineData("apps.example.com")]
    [InlineData("x.other.apps.example.com")]
    public void Names_outside_the_suffixes_or_the_services_own_subtree_are_not_allowed(string host) =>
        Assert.Equal(FailureReasons.HostnameNotAllowed, HostnamePolicy.Check([host], "shop", Options)!.Reason);

    [Theory]
    [InlineData("*.customers.example.net")]
    [InlineData("A.customers.example.net")]
    [InlineData("a.customers.example.net.")]
    [InlineData("localhost")]
    [InlineData("10.0.0.1")]
    [InlineData("-a.customers.example.net")]
    [InlineData("a..customers.example.net")]
    [InlineData("a_b.customers.example.net")]
    [InlineData("")]
    public void Malformed_names_are_invalid_commands(string host) =>
        Assert.Equal(FailureReasons.InvalidCommand, HostnamePolicy.Check([host], "shop", Options)!.Reason);

    [Fact]
    public void Duplicates_and_too_many_names_are_invalid_and_without_a_base_domain_none_is_allowed()
    {
        Assert.Equal(FailureReasons.InvalidCommand, HostnamePolicy.Check(["a.customers.example.net", "a.customers.example.net"], "shop", Options)!.Reason);
        Assert.Equal(FailureReasons.InvalidCommand,
            HostnamePolicy.Check([.. Enumerable.Range(0, HostnamePolicy.MaxHostnames + 1).Select(i => $"h{i}.customers.example.net")], "shop", Options)!.Reason);
        Assert.Equal(FailureReasons.HostnameNotAllowed, HostnamePolicy.Check(["a.customers.example.net"], "shop", new HostnameOptions())!.Reason);
        Assert.Null(HostnamePolicy.Check(null, "shop", new HostnameOptions()));
    }
}
