using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Api.Tests;

/// <summary><c>/api/v1/builds</c> with the in-memory bus: what is published, what is refused before publishing, who sees what.</summary>
[Trait("Requires", "Redis")]
public sealed class BuildsApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    [Fact]
    public async Task A_build_is_published_as_BuildImage_for_the_caller_and_readable_by_its_owner_only()
    {
        var builder = app.ClientWith(ApiApplication.BuilderToken);
        var response = await builder.PostAsJsonAsync("/api/v1/builds", new { context = "hello-web", args = new Dictionary<string, string> { ["GREETING"] = "hi" } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var buildId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("build_id").GetGuid();
        Assert.Equal($"/api/v1/builds/{buildId}", response.Headers.Location!.OriginalString);

        var command = app.Harness.Published.Select<BuildImage>().Single(m => m.Context.Message.BuildId == buildId).Context.Message;
        Assert.Equal("builder", command.RequestedBy);
        Assert.Equal("hello-web", command.Context);
        Assert.Equal("hi", command.BuildArgs!["GREETING"]);

        var view = await builder.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{buildId}");
        Assert.Equal("pending", view.GetProperty("status").GetString());
        Assert.Equal("GREETING", view.GetProperty("args")[0].GetString()); // names, never values
        Assert.DoesNotContain("\"hi\"", view.ToString());
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWith(ApiApplication.AdminToken).GetAsync($"/api/v1/builds/{buildId}")).StatusCode);
        // Without the scope: forbidden, whoever's build it is.
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/builds/{buildId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/builds", new { context = "hello-web" })).StatusCode);
    }

    public static TheoryData<string> Hostile() =>
    [
        """{"context":"/etc"}""",
        """{"context":"../hello-web"}""",
        """{"context":"https://evil.example/repo.git"}""",
        """{"context":""}""",
        """{}""",
        """{"context":"hello-web","dockerfile":"FROM ubuntu"}""",
        """{"context":"hello-web","path":"/var/run"}""",
        """{"context":"hello-web","archive":"H4sIAAAA"}""",
        """{"context":"hello-web","network_mode":"host"}""",
        """{"context":"hello-web","args":{"A;B":"x"}}""",
        """{"context":"hello-web","args":{"GREETING":"line\nRUN curl evil"}}""",
        """{"context":"hello-web","args":{"GREETING":12}}""",
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_build_request_is_refused_and_nothing_is_published(string body)
    {
        var before = app.Harness.Published.Select<BuildImage>().Count();
        var response = await app.ClientWith(ApiApplication.BuilderToken)
            .PostAsync("/api/v1/builds", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, app.Harness.Published.Select<BuildImage>().Count());
    }
}
