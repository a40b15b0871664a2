using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Api.Auth;
using Messaging.Api.Http;
using Messaging.Api.Services;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>
/// What the /api/v1 route group sets once must reach every endpoint, and what the problem catalogue and the
/// query checks answer must be the same everywhere.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class ApiConventionsTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private List<RouteEndpoint> ApiEndpoints()
    {
        app.CreateClient(); // starts the host, which builds the endpoints
        return [.. app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)];
    }

    [Fact]
    public void Every_api_endpoint_needs_a_token_with_a_scope_and_is_rate_limited_per_token()
    {
        var endpoints = ApiEndpoints();

        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} endpoints under /api/v1");
        Assert.All(endpoints, endpoint =>
        {
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            Assert.Contains(policies, policy => policy is not null && Scopes.All.Contains(policy));
            Assert.Null(endpoint.Metadata.GetMetadata<IAllowAnonymous>());
            Assert.Equal(RateLimiting.PerToken, endpoint.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName);
        });
    }

    [Fact]
    public async Task A_body_no_validation_filter_approved_cannot_be_read()
    {
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes("""{"name":"x","scopes":["admin"]}"""));

        var body = await Validated<Messaging.Api.Tokens.CreateTokenRequest>.BindAsync(context, null!);

        Assert.Throws<InvalidOperationException>(() => body!.Value);
    }

    public static TheoryData<string, string> PagedLists => new()
    {
        { ApiApplication.AliceToken, "/api/v1/services" },
        { ApiApplication.AdminToken, $"/api/v1/services/{Guid.NewGuid()}/events" },
        { ApiApplication.AdminToken, "/api/v1/audit" },
        { ApiApplication.AdminToken, "/api/v1/webhooks/no-such-webhook/deliveries" },
    };

    [Theory]
    [MemberData(nameof(PagedLists))]
    public async Task Every_paged_list_refuses_a_limit_out_of_range_with_the_same_problem(string token, string path)
    {
        foreach (var limit in new[] { "0", "201", "-1" })
        {
            var response = await app.ClientWith(token).GetAsync($"{path}?limit={limit}");

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Invalid limit", problem.GetProperty("title").GetString());
            Assert.Equal($"limit must be 1-{QueryChecks.MaxPageSize}.", problem.GetProperty("detail").GetString());
        }
    }

    [Theory]
    [InlineData("/api/v1/services")]
    [InlineData("/api/v1/audit")]
    public async Task A_forged_cursor_is_refused_with_the_same_problem(string path)
    {
        var response = await app.ClientWith(ApiApplication.AdminToken).GetAsync($"{path}?cursor=djE6LTE");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Invalid cursor", problem.GetProperty("title").GetString());
        Assert.Equal("Pass back the next_cursor of a previous page.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Another_owners_service_is_not_found_on_every_endpoint_that_names_one()
    {
        var bobs = await app.SeedService("bob", "running");
        var alice = app.ClientWith(ApiApplication.AliceToken);

        foreach (var (method, path) in new[]
                 {
                     ("GET", $"/api/v1/services/{bobs}"), ("GET", $"/api/v1/services/{bobs}/logs"), ("GET", $"/api/v1/services/{bobs}/stats"), ("GET", $"/api/v1/services/{bobs}/events"),
                     ("POST", $"/api/v1/services/{bobs}/stop"), ("POST", $"/api/v1/services/{bobs}/restart"), ("DELETE", $"/api/v1/services/{bobs}"),
                 })
        {
            var response = await alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode}");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Not found", problem.GetProperty("title").GetString());
            Assert.Equal($"No service {bobs}.", problem.GetProperty("detail").GetString());
        }
    }
}
