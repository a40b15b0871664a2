using System.Net.Http.Json;
using System.Net;
using System.Text.Json;

namespace Messaging.Api.Tests;

[Trait("Requires", "Redis")]
public sealed class OpenApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    public static TheoryData<string, string, int[]> Endpoints => new()
    {
        { "post", "/api/v1/services", [202, 400, 401, 403, 409, 413, 415, 422, 429, 503] },
        { "get", "/api/v1/services", [200, 400, 401, 403, 429, 503] },
        { "get", "/api/v1/services/{serviceId}", [200, 401, 403, 404, 429, 503] },
        { "get", "/api/v1/services/{serviceId}/logs", [200, 400, 401, 403, 404, 429, 503, 504] },
        { "get", "/api/v1/services/{serviceId}/stats", [200, 401, 403, 404, 409, 429, 503, 504] },
        { "post", "/api/v1/services/{serviceId}/stop", [202, 401, 403, 404, 409, 429, 503] },
        { "post", "/api/v1/services/{serviceId}/start", [202, 401, 403, 404, 409, 429, 503] },
        { "post", "/api/v1/services/{serviceId}/restart", [202, 401, 403, 404, 409, 429, 503] },
        { "delete", "/api/v1/services/{serviceId}", [202, 401, 403, 404, 409, 429, 503] },
        { "post", "/api/v1/tokens", [201, 400, 401, 403, 413, 415, 429, 503] },
        { "get", "/api/v1/tokens", [200, 401, 403, 429, 503] },
        { "get", "/api/v1/tokens/{id}", [200, 401, 403, 404, 429, 503] },
        { "delete", "/api/v1/tokens/{id}", [204, 401, 403, 404, 429, 503] },
        { "get", "/api/v1/me", [200, 401, 403, 429, 503] },
        { "get", "/api/v1/images", [200, 401, 403, 429, 503] },
        { "get", "/api/v1/capacity", [200, 401, 403, 429, 503] },
        { "post", "/api/v1/webhooks", [201, 400, 401, 403, 413, 415, 429, 503] },
        { "get", "/api/v1/webhooks", [200, 401, 403, 429, 503] },
        { "get", "/api/v1/webhooks/{id}", [200, 401, 403, 404, 429, 503] },
        { "delete", "/api/v1/webhooks/{id}", [204, 401, 403, 404, 429, 503] },
        { "get", "/api/v1/webhooks/{id}/deliveries", [200, 400, 401, 403, 404, 429, 503] },
        { "get", "/api/v1/services/{serviceId}/events", [200, 400, 401, 403, 404, 429, 503] },
        { "get", "/api/v1/audit", [200, 400, 401, 403, 429, 503] },
        { "get", "/api/v1/events", [400, 401, 403, 429, 503] },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task The_openapi_document_lists_every_endpoint_with_every_status_it_can_return(string method, string path, int[] statuses)
    {
        var document = JsonDocument.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;

        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is not documented");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is not documented");
        var documented = operation.GetProperty("responses").EnumerateObject().Select(r => int.Parse(r.Name)).ToHashSet();
        Assert.All(statuses, status => Assert.Contains(status, documented));
    }

    [Fact]
    public async Task The_interactive_reference_is_served_at_docs_without_a_token()
    {
        var response = await app.CreateClient().GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_openapi_document_opens_with_the_introduction_and_shows_example_bodies()
    {
        var document = JsonDocument.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;

        var description = document.GetProperty("info").GetProperty("description").GetString()!;
        Assert.All(new[] { "Messaging runs Docker services on demand", "## Authentication", "Authorization: Bearer", "## Errors",
            "RFC 9457", "## Idempotency", "Idempotency-Key" }, text => Assert.Contains(text, description));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.Equal("nginx:alpine", schemas.GetProperty("CreateServiceRequest").GetProperty("examples")[0].GetProperty("image").GetString());
        Assert.Equal("pending", schemas.GetProperty("ServiceAccepted").GetProperty("examples")[0].GetProperty("status").GetString());
        Assert.Equal("running", schemas.GetProperty("ServiceView").GetProperty("examples")[0].GetProperty("status").GetString());
        Assert.Equal(404, schemas.GetProperty("ProblemDetails").GetProperty("examples")[0].GetProperty("status").GetInt32());
        Assert.Equal("ci", schemas.GetProperty("CreateTokenRequest").GetProperty("examples")[0].GetProperty("name").GetString());
        var stack = schemas.GetProperty("CreateStackRequest").GetProperty("examples")[0];
        Assert.Equal("shop", stack.GetProperty("name").GetString());
        var parsed = Messaging.Stacks.Compose.ComposeSubset.Parse(stack.GetProperty("compose_file").GetString()!);
        Assert.True(parsed.IsValid, $"The example stack file is refused: {string.Join("; ", parsed.Problems)}");
        Assert.StartsWith("https://", schemas.GetProperty("CreateWebhookRequest").GetProperty("examples")[0].GetProperty("url").GetString());
        Assert.True(schemas.GetProperty("HttpValidationProblemDetails").GetProperty("examples")[0].TryGetProperty("errors", out _));
    }

    [Fact]
    public async Task The_reference_is_served_from_the_api_itself_with_the_vendor_buttons_and_links_off()
    {
        var client = app.CreateClient();
        var page = await client.GetStringAsync("/docs");

        // Its scripts are the API's own (served offline), and nothing on the page points elsewhere.
        Assert.Contains("<script src=\"scalar.js\"></script>", page);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/docs/scalar.js")).StatusCode);
        Assert.DoesNotContain("src=\"http", page);
        // The configuration handed to the UI: no CDN fonts, no telemetry, no AI agent or MCP, no developer toolbar
        // (its Deploy and Generate SDK links), no hosted client button, links to the vendor hidden.
        var configuration = JsonDocument.Parse(page.Split('\n').Select(line => line.Trim()).Single(line => line.StartsWith("{\"", StringComparison.Ordinal)).TrimEnd(',')).RootElement;
        Assert.False(configuration.GetProperty("withDefaultFonts").GetBoolean());
        Assert.False(configuration.GetProperty("telemetry").GetBoolean());
        Assert.True(configuration.GetProperty("agent").GetProperty("disabled").GetBoolean());
        Assert.True(configuration.GetProperty("mcp").GetProperty("disabled").GetBoolean());
        Assert.Equal("never", configuration.GetProperty("showDeveloperTools").GetString());
        Assert.True(configuration.GetProperty("hideClientButton").GetBoolean());
        Assert.Contains("scalar.com", configuration.GetProperty("customCss").GetString());
    }

    [Fact]
    public async Task Metrics_are_exposed_for_prometheus_to_an_admin_token()
    {
        await app.CreateClient().GetAsync("/health/live");
        var response = await app.ClientWith(ApiApplication.AdminToken).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("http_server_request_duration", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_are_refused_without_a_token_or_with_a_services_only_token()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.AliceToken).GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task A_metrics_read_token_may_scrape_and_do_nothing_else()
    {
        var created = await app.ClientWith(ApiApplication.AdminToken).PostAsJsonAsync("/api/v1/tokens",
            new { name = "prometheus", scopes = new[] { "metrics:read" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var scraper = app.ClientWith((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!);

        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await scraper.GetAsync("/api/v1/services")).StatusCode);
    }
}
