using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Api.Tests;

/// <summary><c>/api/v1/stacks</c> with the in-memory bus: what is published, what is refused, who sees what.</summary>
[Trait("Requires", "Redis")]
public sealed class StacksApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private const string TwoMembers = "services:\n  web:\n    image: nginx:alpine\n    ports: [\"80\"]\n  db:\n    image: nginx:alpine\n";
    private static string NewName() => $"st-{Guid.NewGuid():N}"[..16];

    [Fact]
    public async Task A_stack_is_published_as_CreateStack_for_the_caller_and_readable_while_pending()
    {
        var name = NewName();
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/stacks", new { name, compose_file = TwoMembers });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var stackId = body.GetProperty("stack_id").GetGuid();
        Assert.Equal($"/api/v1/stacks/{stackId}", response.Headers.Location!.OriginalString);

        var command = app.Harness.Published.Select<CreateStack>().Single(m => m.Context.Message.StackId == stackId).Context.Message;
        Assert.Equal("alice", command.RequestedBy);
        Assert.Equal(TwoMembers, command.ComposeFile);
        Assert.False(command.KeepStartedOnFailure);

        var view = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>($"/api/v1/stacks/{stackId}");
        Assert.Equal("pending", view.GetProperty("status").GetString());
        // Another owner does not see it at all, an admin does.
        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWith(ApiApplication.BobToken).GetAsync($"/api/v1/stacks/{stackId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWith(ApiApplication.BobToken).DeleteAsync($"/api/v1/stacks/{stackId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWith(ApiApplication.AdminToken).GetAsync($"/api/v1/stacks/{stackId}")).StatusCode);
    }

    [Theory]
    [InlineData("services:\n  db:\n    image: nginx:alpine\n    privileged: true\n", "services.db.privileged")]
    [InlineData("services:\n  db:\n    image: nginx:alpine\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n", "services.db.volumes")]
    [InlineData("services:\n  db:\n    image: nginx:alpine\n    network_mode: host\n", "services.db.network_mode")]
    [InlineData("services:\n  aa:\n    image: nginx:alpine\n    ports: [\"80\"]\n  bb:\n    image: nginx:alpine\n    ports: [\"80\"]\n", "services.bb.ports")]
    public async Task A_file_outside_the_subset_is_refused_with_the_path_and_nothing_is_published(string file, string path)
    {
        var before = app.Harness.Published.Select<CreateStack>().Count();
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/stacks", new { name = NewName(), compose_file = file });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Stack file refused", problem.GetProperty("title").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), problem.ToString());
        Assert.Equal(before, app.Harness.Published.Select<CreateStack>().Count());
    }

    [Fact]
    public async Task Creating_needs_services_write_and_unknown_fields_are_refused()
    {
        Assert.Equal(HttpStatusCode.Forbidden,
            (await app.ClientWith(ApiApplication.ReaderToken).PostAsJsonAsync("/api/v1/stacks", new { name = NewName(), compose_file = TwoMembers })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/stacks", new { name = NewName(), compose_file = TwoMembers, privileged = true })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/stacks", new { name = "Bad Name", compose_file = TwoMembers })).StatusCode);
    }

    [Fact]
    public async Task Removing_a_stack_publishes_RemoveStack_for_its_owner()
    {
        var client = app.ClientWith(ApiApplication.AliceToken);
        var created = await client.PostAsJsonAsync("/api/v1/stacks", new { name = NewName(), compose_file = TwoMembers });
        var stackId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();

        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync($"/api/v1/stacks/{stackId}")).StatusCode);
        Assert.Contains(app.Harness.Published.Select<RemoveStack>(), m => m.Context.Message.StackId == stackId && m.Context.Message.RequestedBy == "alice");
    }

    [Fact]
    public async Task A_stack_from_a_template_carries_the_rendered_file_and_shows_its_generated_secrets_once()
    {
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/stacks",
            new { name = NewName(), template = "web-and-store", @params = new Dictionary<string, string> { ["greeting"] = "hi: there\n  privileged: true" } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("generated_secrets").GetProperty("store_token").GetString()!;
        Assert.Equal(43, secret.Length);

        var command = app.Harness.Published.Select<CreateStack>().Single(m => m.Context.Message.StackId == body.GetProperty("stack_id").GetGuid()).Context.Message;
        var parsed = Messaging.Stacks.Compose.ComposeSubset.Parse(command.ComposeFile);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Problems));
        Assert.Equal(["web", "store"], parsed.Definition!.Members.Select(m => m.Name));
        // A parameter's value stays one string: it adds no key.
        Assert.Equal("hi: there\n  privileged: true", parsed.Definition.Members[0].Environment["GREETING"]);
        Assert.Equal(secret, parsed.Definition.Members[1].Environment["STORE_TOKEN"]);
        Assert.True(parsed.Definition.Members[0].DependsOn.Single().WaitForHealthy);
    }

    [Fact]
    public async Task A_template_with_a_file_or_an_unknown_template_is_refused()
    {
        var client = app.ClientWith(ApiApplication.AliceToken);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await client.PostAsJsonAsync("/api/v1/stacks", new { name = NewName(), template = "web-and-store", compose_file = TwoMembers })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await client.PostAsJsonAsync("/api/v1/stacks", new { name = NewName(), template = "no-such-template" })).StatusCode);
        var refused = await client.PostAsJsonAsync("/api/v1/stacks",
            new { name = NewName(), template = "web-and-store", @params = new Dictionary<string, string> { ["store_token"] = "mine" } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("params.store_token", out _));
    }
}
