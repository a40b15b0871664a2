using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.IntegrationTests.Builds;

/// <summary>
/// Builds in the audit trail: the audit host records <c>BuildImage</c> (its argument values redacted) and the build's
/// outcome under the build, its owner reads them at <c>/builds/{id}/events</c> (nobody else), and the admin's
/// <c>/audit?type=</c> query finds them.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class BuildAuditTests(SystemFixture system)
{
    [Fact]
    public async Task A_builds_command_and_outcome_are_in_the_audit_trail_for_its_owner_with_argument_values_redacted()
    {
        const string secret = "AuditSecret123";
        using var alice = system.Api(SystemFixture.AliceToken);
        using var created = await alice.PostAsJsonAsync("/api/v1/builds", new { context = "it-fail", args = new Dictionary<string, string> { ["TOKEN"] = secret } });
        var buildId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("build_id").GetGuid();
        await system.Events.WaitFor<ImageBuildFailed>(e => e.BuildId == buildId, TimeSpan.FromSeconds(90));

        JsonElement[] items = [];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (items.Length < 2 && DateTime.UtcNow < deadline)
        {
            items = [.. (await alice.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{buildId}/events")).GetProperty("items").EnumerateArray()];
            await Task.Delay(100);
        }
        Assert.Equal(["BuildImage", "ImageBuildFailed"], items.Select(i => i.GetProperty("type").GetString()));
        Assert.All(items, i =>
        {
            Assert.Equal(buildId, i.GetProperty("build_id").GetGuid());
            Assert.Equal("alice", i.GetProperty("owner").GetString());
        });
        Assert.Equal("[redacted]", items[0].GetProperty("message").GetProperty("build_args").GetProperty("TOKEN").GetString());
        Assert.Equal(BuildFailureReasons.BuildFailed, items[1].GetProperty("message").GetProperty("reason").GetString());
        var body = string.Join("", items.Select(i => i.ToString()));
        Assert.DoesNotContain(secret, body, StringComparison.Ordinal);

        using var bob = system.Api(SystemFixture.BobToken);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/v1/builds/{buildId}/events")).StatusCode);
        using var admin = system.Api();
        var audited = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?type=ImageBuildFailed&limit=100&since=" +
            Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O")));
        Assert.Contains(audited.GetProperty("items").EnumerateArray(), i => i.GetProperty("build_id").ValueKind == JsonValueKind.String && i.GetProperty("build_id").GetGuid() == buildId);
    }
}
