using Messaging.Contracts;
using Messaging.Edge;
using Messaging.Edge.Routing;
using Messaging.State;
using Messaging.Validation.Hostnames;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests.Edge;

public class EdgeRouteBuilderTests
{
    private static EdgeRouteBuilder Builder(string apiUpstream = "", string upstreamHost = "") =>
        new(Options.Create(new HostnameOptions { BaseDomain = "apps.example.com" }),
            Options.Create(new EdgeOptions { AdminEndpoint = "unix:/run/caddy.sock", StorageDirectory = "/data", ApiUpstream = apiUpstream, UpstreamHost = upstreamHost }));

    private static ServiceRecord Record(string name, string status, int? port = 15000, string host = "127.0.0.1", int age = 0, string? health = null) => new()
    {
        ServiceId = Guid.NewGuid(), Name = name, Status = status, HostPort = port, Host = host, Health = health,
        CreatedAt = DateTimeOffset.UnixEpoch.AddMinutes(age),
    };

    [Theory]
    [InlineData(null)]
    [InlineData(ServiceHealth.None)]
    [InlineData(ServiceHealth.Healthy)]
    public void A_running_service_healthy_or_without_a_check_is_served(string? health) =>
        Assert.True(Builder().Build([Record("shop", ServiceStatus.Running, health: health)]).Single().Serves);

    [Theory]
    [InlineData(ServiceStatus.Running, ServiceHealth.Starting)]
    [InlineData(ServiceStatus.Running, ServiceHealth.Unhealthy)]
    [InlineData(ServiceStatus.CrashLooping, ServiceHealth.None)]
    public void A_starting_unhealthy_or_crash_looping_service_answers_503(string status, string health) =>
        Assert.False(Builder().Build([Record("shop", status, health: health)]).Single().Serves);

    [Fact]
    public void A_degraded_swarm_service_answers_503_until_a_later_write_of_its_record_voids_the_mark()
    {
        var at = DateTimeOffset.UnixEpoch.AddHours(1);
        var degraded = Record("shop", ServiceStatus.Running) with { DegradedAt = at, UpdatedAt = at };
        var route = Assert.Single(Builder().Build([degraded]));
        Assert.False(route.Serves); // its last node's port answers nothing: the 503 page names it instead
        Assert.Equal("shop.apps.example.com", route.Host);

        Assert.True(Builder().Build([degraded with { UpdatedAt = at.AddMilliseconds(1) }]).Single().Serves);
    }

    [Fact]
    public void Extra_hostnames_route_like_the_services_own()
    {
        var record = Record("shop", ServiceStatus.Running, 15001) with { Hostnames = ["shop.customers.example.net"] };
        var routes = Builder().Build([record]);
        Assert.Equal(["shop.apps.example.com", "shop.customers.example.net"], routes.Select(r => r.Host).Order(StringComparer.Ordinal));
        Assert.All(routes, r => Assert.Equal("127.0.0.1:15001", r.Upstream));
    }

    [Fact]
    public void A_running_service_is_proxied_to_its_published_port_under_its_name()
    {
        var record = Record("shop", ServiceStatus.Running, 15001);
        var route = Assert.Single(Builder().Build([record]));
        Assert.Equal(new EdgeRoute("shop.apps.example.com", "127.0.0.1:15001", record.ServiceId, "shop"), route);
    }

    [Theory]
    [InlineData(ServiceStatus.Stopped)]
    [InlineData(ServiceStatus.Creating)]
    [InlineData(ServiceStatus.Pending)]
    public void A_service_that_exists_but_is_not_running_keeps_its_hostname_for_the_503_page(string status)
    {
        var route = Assert.Single(Builder().Build([Record("shop", status)]));
        Assert.Null(route.Upstream);
        Assert.False(route.Serves);
    }

    [Theory]
    [InlineData(ServiceStatus.Removing)]
    [InlineData(ServiceStatus.Removed)]
    [InlineData(ServiceStatus.Failed)]
    public void A_failed_or_removed_service_has_no_route(string status) =>
        Assert.Empty(Builder().Build([Record("shop", status)]));

    [Fact]
    public void A_port_published_on_every_interface_is_dialled_on_loopback_and_an_operator_host_wins() 
    {
        Assert.Equal("127.0.0.1:15000", Builder().Build([Record("shop", ServiceStatus.Running, host: "0.0.0.0")]).Single().Upstream);
        Assert.Equal("10.1.2.3:15000", Builder(upstreamHost: "10.1.2.3").Build([Record("shop", ServiceStatus.Running)]).Single().Upstream);
    }

    [Fact]
    public void The_api_gets_its_own_hostname_when_an_upstream_is_configured()
    {
        Assert.Empty(Builder().Build([]));
        var route = Assert.Single(Builder(apiUpstream: "127.0.0.1:8080").Build([]));
        Assert.Equal(new EdgeRoute("api.apps.example.com", "127.0.0.1:8080", null, "api"), route);
    }

    [Fact]
    public void Routes_come_out_in_one_order_whatever_the_records_order_and_the_older_service_keeps_a_contested_hostname()
    {
        var older = Record("shop", ServiceStatus.Running, 15001, age: 1);
        var newer = Record("shop", ServiceStatus.Running, 15002, age: 2);
        var other = Record("alpha", ServiceStatus.Running, 15003);
        var one = Builder().Build([newer, other, older]);
        var two = Builder().Build([older, newer, other]);
        Assert.Equal(one, two);
        Assert.Equal(["alpha.apps.example.com", "shop.apps.example.com"], one.Select(r => r.Host));
        Assert.Equal("127.0.0.1:15001", one[1].Upstream);
    }
}
