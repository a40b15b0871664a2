using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Api.Tests;

/// <summary>The template admin API: adding and deleting template versions at run time, admin only, versions immutable.</summary>
[Trait("Requires", "Redis")]
public sealed class TemplateAdminApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private static string Template(string name, int version, string image = "nginx:alpine") => $"""
        x-template:
          name: {name}
          version: {version}
          params:
            greeting: {"{"}type: string, default: hello{"}"}
        services:
          web:
            image: {image}
            environment:
              GREETING: ${"{"}greeting{"}"}
        """;

    private static string NewName() => $"kv-{Guid.NewGuid():N}"[..16];

    private Task<HttpResponseMessage> Add(string token, string content) =>
        app.ClientWith(token).PostAsJsonAsync("/api/v1/templates", new { content });

    [Fact]
    public async Task An_admin_adds_a_version_that_everyone_then_lists_and_creates_services_from()
    {
        var name = NewName();
        var added = await Add(ApiApplication.AdminToken, Template(name, 1));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal($"/api/v1/templates/{name}?version=1", added.Headers.Location!.OriginalString);

        var list = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>("/api/v1/templates");
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("name").GetString() == name);
        var created = await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/services",
            new { service_name = NewName(), template = name, @params = new Dictionary<string, string> { ["greeting"] = "hi" } });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
    }

    [Fact]
    public async Task A_version_never_changes_a_second_add_is_409_and_a_new_version_is_fine()
    {
        var name = NewName();
        Assert.Equal(HttpStatusCode.Created, (await Add(ApiApplication.AdminToken, Template(name, 1))).StatusCode);
        var again = await Add(ApiApplication.AdminToken, Template(name, 1, image: "redis:7"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Add(ApiApplication.AdminToken, Template(name, 2))).StatusCode);
        var newest = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>($"/api/v1/templates/{name}");
        Assert.Equal(2, newest.GetProperty("version").GetInt32());
        // A version of the catalogue's files cannot be shadowed either.
        Assert.Equal(HttpStatusCode.Conflict, (await Add(ApiApplication.AdminToken, Template("static-web", 1))).StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_may_add_or_delete_templates()
    {
        var name = NewName();
        Assert.Equal(HttpStatusCode.Forbidden, (await Add(ApiApplication.AliceToken, Template(name, 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Add(null!, Template(name, 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Add(ApiApplication.AdminToken, Template(name, 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.AliceToken).DeleteAsync($"/api/v1/templates/{name}?version=1")).StatusCode);
    }

    [Fact]
    public async Task A_template_outside_the_subset_is_refused_at_the_path_of_the_key()
    {
        var refused = await Add(ApiApplication.AdminToken, Template(NewName(), 1) + "\n    privileged: true\n");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("services.web.privileged", out _), problem.ToString());
    }

    [Fact]
    public async Task Deleting_removes_a_stored_version_but_never_a_file_of_the_catalogue()
    {
        var name = NewName();
        await Add(ApiApplication.AdminToken, Template(name, 1));
        var admin = app.ClientWith(ApiApplication.AdminToken);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/templates/{name}?version=1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/templates/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/templates/{name}?version=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.DeleteAsync("/api/v1/templates/static-web?version=1")).StatusCode);
    }

    [Fact]
    public async Task An_admin_saves_a_service_as_a_template_with_its_image_and_limits_but_not_its_env()
    {
        var serviceId = await app.SeedService("alice", "running");
        var name = NewName();
        var admin = app.ClientWith(ApiApplication.AdminToken);

        var saved = await admin.PostAsJsonAsync($"/api/v1/services/{serviceId}/template", new { name, description = "like seed" });
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        var template = await saved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, template.GetProperty("version").GetInt32());
        var content = template.GetProperty("content").GetString()!;
        Assert.Contains("nginx:alpine", content);
        Assert.Contains("128m", content);
        Assert.DoesNotContain("environment", content);

        // Usable like any template, and a version is saved once.
        var created = await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync("/api/v1/services", new { service_name = NewName(), template = name });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/v1/services/{serviceId}/template", new { name })).StatusCode);
    }

    [Fact]
    public async Task Saving_a_service_as_a_template_needs_admin_and_a_known_service()
    {
        var serviceId = await app.SeedService("alice", "running");
        Assert.Equal(HttpStatusCode.Forbidden,
            (await app.ClientWith(ApiApplication.AliceToken).PostAsJsonAsync($"/api/v1/services/{serviceId}/template", new { name = NewName() })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await app.ClientWith(ApiApplication.AdminToken).PostAsJsonAsync($"/api/v1/services/{Guid.NewGuid()}/template", new { name = NewName() })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await app.ClientWith(ApiApplication.AdminToken).PostAsJsonAsync($"/api/v1/services/{serviceId}/template", new { name = "Not A Name" })).StatusCode);
    }
}
