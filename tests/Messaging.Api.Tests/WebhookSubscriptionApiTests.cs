using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Api.Tests;

/// <summary>Webhook subscriptions: admin only, http(s) only, no address the policy refuses, the secret shown once.</summary>
[Trait("Requires", "Redis")]
public sealed class WebhookSubscriptionApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private HttpClient Admin => app.ClientWith(ApiApplication.AdminToken);

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://169.254.10.1/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://255.255.255.255/hook")]
    [InlineData("http://[::ffff:169.254.169.254]/hook")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://100.100.100.200/latest/meta-data/")]
    [InlineData("http://168.63.129.16/machine")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/hook")]
    [InlineData("http://[2002:a9fe:a9fe::1]/hook")]
    [InlineData("http://[2001:0:cb00:710a::5601:5601]/hook")]
    [InlineData("http://[64:ff9b::7f00:1]/hook")]
    [InlineData("http://127.0.0.1:9000/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://192.168.1.10/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("ftp://203.0.113.10/hook")]
    [InlineData("file:///etc/passwd")]
    [InlineData("https://user:pass@203.0.113.10/hook")]
    [InlineData("/relative/hook")]
    public async Task A_subscription_to_a_refused_url_is_a_400_and_is_not_kept(string url)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/webhooks", new { url });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("url", out _), problem.ToString());
        var list = await Admin.GetFromJsonAsync<JsonElement>("/api/v1/webhooks");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), i => i.GetProperty("url").GetString() == url);
    }

    [Fact]
    public async Task A_subscription_gets_a_generated_secret_shown_once_and_can_be_deleted()
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://203.0.113.10/hook", event_types = new[] { "ServiceCreated" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("whsec_", created.GetProperty("secret").GetString());
        var id = created.GetProperty("details").GetProperty("id").GetString();
        Assert.Equal($"/api/v1/webhooks/{id}", response.Headers.Location?.OriginalString);

        var shown = await Admin.GetStringAsync($"/api/v1/webhooks/{id}");
        Assert.DoesNotContain("secret", shown);
        Assert.DoesNotContain(created.GetProperty("secret").GetString()!, await Admin.GetStringAsync("/api/v1/webhooks"));
        Assert.Empty((await Admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}/deliveries")).GetProperty("items").EnumerateArray());

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync($"/api/v1/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("""{"url":"https://203.0.113.10/hook","event_types":["CreateService"]}""", "event_types")]
    [InlineData("""{"url":"https://203.0.113.10/hook","secret":"short"}""", "secret")]
    public async Task An_unknown_event_type_or_a_short_secret_is_a_400(string body, string field)
    {
        var response = await Admin.PostAsync("/api/v1/webhooks", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Only_admins_manage_webhooks()
    {
        var alice = app.ClientWith(ApiApplication.AliceToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://203.0.113.10/hook" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Fact]
    public async Task Every_refusal_of_a_subscription_is_listed_by_field_in_one_answer()
    {
        var body = """{"url":"http://169.254.169.254/hook","event_types":["ServiceCreated","CreateService"],"secret":"short"}""";
        var response = await Admin.PostAsync("/api/v1/webhooks", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.StartsWith("url address 169.254.169.254 is cloud metadata", errors.GetProperty("url")[0].GetString());
        Assert.Equal("event_types may only contain ServiceCreated, ServiceCreationFailed, ServiceStopped, ServiceStarted, ServiceRestarted, " +
            "ServiceRemoved, ServiceCommandRejected, ServiceExited, ServiceUnhealthy, ServiceHealthy, ServiceRecovered, ServiceRestartedBySupervisor, " +
            "ServiceCrashLooping, ServiceCertificateFailed, ServiceMoved, ServiceDegraded, StackCreated, StackCreationFailed, StackRemoved, ImageBuilt, ImageBuildFailed (not CreateService).", errors.GetProperty("event_types")[0].GetString());
        Assert.Equal("secret must be 16-256 printable characters.", errors.GetProperty("secret")[0].GetString());
    }

    [Theory]
    [InlineData("text/plain", """{"url":"https://203.0.113.10/hook"}""", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", """{"url":"https://203.0.113.10/hook","privileged":true}""", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "null", HttpStatusCode.BadRequest)]
    public async Task A_subscription_body_is_read_as_strictly_as_a_service_request(string contentType, string body, HttpStatusCode status)
    {
        var response = await Admin.PostAsync("/api/v1/webhooks", new StringContent(body, System.Text.Encoding.UTF8, contentType));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
