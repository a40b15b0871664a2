using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MassTransit.Testing;
using Messaging.Contracts;
using Messaging.State.Edge;
using Messaging.State.Reservations;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>The API with an edge configured: base domain and allowed suffixes for extra hostnames.</summary>
public sealed class EdgeApiApplication : ApiApplication
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Edge:BaseDomain", "apps.example.com");
        builder.UseSetting("Edge:AllowedSuffixes:0", "customers.example.net");
    }
}

/// <summary>
/// Extra hostnames on <c>POST /api/v1/services</c> (issue 15): refused early with a problem naming the worker's reason
/// code, and nothing published; the worker judges and reserves them again (Worker.Tests/HostnameReservationTests).
/// </summary>
[Trait("Requires", "Redis")]
public sealed class HostnamesApiTests(EdgeApiApplication app) : IClassFixture<EdgeApiApplication>
{
    private static StringContent Body(string name, string hostnamesJson) => new(
        $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25,"hostnames":{{hostnamesJson}}}""",
        Encoding.UTF8, "application/json");

    private static string UniqueName() => $"web-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Allowed_hostnames_reach_the_command()
    {
        var name = UniqueName();
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Body(name, $"""["{name}.customers.example.net"]"""));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        var command = app.Harness.Published.Select<CreateService>().Single(m => m.Context.Message.ServiceId == id).Context.Message;
        Assert.Equal([$"{name}.customers.example.net"], command.Hostnames);
    }

    [Theory]
    [InlineData("""["evil.example.org"]""", 400, FailureReasons.HostnameNotAllowed)]
    [InlineData("""["victim.apps.example.com"]""", 400, FailureReasons.HostnameNotAllowed)]
    [InlineData("""["api.apps.example.com"]""", 400, FailureReasons.HostnameNotAllowed)]
    [InlineData("""["*.customers.example.net"]""", 400, FailureReasons.InvalidCommand)]
    [InlineData("""["Shop.customers.example.net"]""", 400, FailureReasons.InvalidCommand)]
    [InlineData("""["a.customers.example.net","a.customers.example.net"]""", 400, FailureReasons.InvalidCommand)]
    public async Task Hostnames_outside_the_policy_are_refused_and_nothing_is_published(string hostnames, int status, string code)
    {
        var name = UniqueName();
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Body(name, hostnames));
        Assert.Equal(status, (int)response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.DoesNotContain(app.Harness.Published.Select<CreateService>(), m => m.Context.Message.ServiceName == name);
    }

    [Fact]
    public async Task A_hostname_another_service_holds_is_refused_with_409_hostname_conflict()
    {
        await app.Services.GetRequiredService<HostnameReservations>().ReserveAsync(Guid.NewGuid(), ["taken.customers.example.net"]);
        var name = UniqueName();
        var response = await app.ClientWith(ApiApplication.BobToken).PostAsync("/api/v1/services", Body(name, """["taken.customers.example.net"]"""));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(FailureReasons.HostnameConflict, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.DoesNotContain(app.Harness.Published.Select<CreateService>(), m => m.Context.Message.ServiceName == name);
    }

    [Fact]
    public async Task A_service_shows_its_routes_with_their_certificate_state()
    {
        var name = UniqueName();
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Body(name, "[]"));
        var location = response.Headers.Location!.OriginalString;
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        Assert.Equal(0, (await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>(location)).GetProperty("routes").GetArrayLength());

        var expires = new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await app.Services.GetRequiredService<EdgeRouteStatusStore>().ReplaceAllAsync(new Dictionary<Guid, IReadOnlyList<RouteStatus>>
        {
            [id] = [new RouteStatus($"{name}.apps.example.com", RouteTls.Issued, expires), new RouteStatus("x.customers.example.net", RouteTls.Failed, null, "rate limited")],
        });
        var routes = (await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>(location)).GetProperty("routes");
        Assert.Equal($"{name}.apps.example.com", routes[0].GetProperty("host").GetString());
        Assert.Equal("issued", routes[0].GetProperty("tls").GetString());
        Assert.Equal(expires, routes[0].GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal("failed", routes[1].GetProperty("tls").GetString());
        Assert.Equal("rate limited", routes[1].GetProperty("error").GetString());
    }
}
