using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Api.Tests;

/// <summary>The shipped catalogue (src/Messaging.Api/templates) read through the API, and services made from it.</summary>
[Trait("Requires", "Redis")]
public sealed class TemplatesApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
    private static string NewName() => $"tpl-{Guid.NewGuid():N}"[..20];

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Create(string body)
    {
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Json(body));
        return (response, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private CreateService Published(Guid serviceId) =>
        app.Harness.Published.Select<CreateService>().Single(m => m.Context.Message.ServiceId == serviceId).Context.Message;

    [Fact]
    public async Task The_catalogue_lists_every_template_and_version_with_typed_params()
    {
        var list = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>("/api/v1/templates");
        var staticWeb = list.EnumerateArray().Where(t => t.GetProperty("name").GetString() == "static-web").ToList();
        Assert.Equal([2, 1], staticWeb.Select(t => t.GetProperty("version").GetInt32()));
        var token = staticWeb[0].GetProperty("params").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "access_token");
        Assert.Equal("generated_secret", token.GetProperty("type").GetString());
        Assert.False(token.GetProperty("required").GetBoolean());
        Assert.Equal(["web"], staticWeb[0].GetProperty("services").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task One_template_shows_its_file_and_an_unknown_one_is_404()
    {
        var one = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>("/api/v1/templates/static-web?version=1");
        Assert.Contains("x-template:", one.GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWith(ApiApplication.AliceToken).GetAsync("/api/v1/templates/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWith(ApiApplication.AliceToken).GetAsync("/api/v1/templates/static-web?version=9")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(null).GetAsync("/api/v1/templates")).StatusCode);
    }

    [Fact]
    public async Task A_service_from_a_template_gets_the_template_image_env_and_params()
    {
        var (response, body) = await Create("{\"service_name\":\"" + NewName() + "\",\"template\":\"static-web\",\"version\":1,\"params\":{\"greeting\":\"hi there\"}}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.False(body.TryGetProperty("generated_secrets", out _));
        var command = Published(body.GetProperty("service_id").GetGuid());
        Assert.Equal("nginx:alpine", command.Image);
        Assert.Equal("hi there", command.Env!["GREETING"]);
        Assert.Equal(80, command.InternalPort);
        Assert.Null(command.MemoryLimit); // the template names none: the worker applies the image's default
    }

    [Fact]
    public async Task A_generated_secret_is_shown_once_in_the_answer_and_is_what_the_container_gets()
    {
        var (response, body) = await Create("{\"service_name\":\"" + NewName() + "\",\"template\":\"static-web\",\"params\":{\"port\":\"8080\"}}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var secret = body.GetProperty("generated_secrets").GetProperty("access_token").GetString()!;
        Assert.Equal(43, secret.Length); // 256 bits, base64url
        var serviceId = body.GetProperty("service_id").GetGuid();
        var command = Published(serviceId);
        Assert.Equal(secret, command.Env!["ACCESS_TOKEN"]);
        Assert.Equal(8080, command.InternalPort);
        Assert.Equal("64m", command.MemoryLimit);

        // Not readable afterwards: the record and the API show no env.
        var record = await app.ClientWith(ApiApplication.AliceToken).GetStringAsync($"/api/v1/services/{serviceId}");
        Assert.DoesNotContain(secret, record, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> RefusedBodies => new()
    {
        { """{"template":"static-web","params":{"access_token":"mine"}}""", "params.access_token" },
        { """{"template":"static-web","params":{"port":"70000"}}""", "params.port" },
        { """{"template":"static-web","params":{"nope":"x"}}""", "params.nope" },
        { """{"template":"static-web","version":1,"params":{"greeting":"\n    privileged: true"}}""", "" },
    };

    [Theory]
    [MemberData(nameof(RefusedBodies))]
    public async Task Bad_params_are_refused_at_their_path_and_publish_nothing(string partial, string path)
    {
        var before = app.PublishedCreateCommands;
        var (response, body) = await Create("{\"service_name\":\"" + NewName() + "\"," + partial[1..]);
        if (path.Length == 0)
        {
            // A value is put into the parsed file, never its text: it stays one string, not a new key.
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal("\n    privileged: true", Published(body.GetProperty("service_id").GetGuid()).Env!["GREETING"]);
            return;
        }
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(body.GetProperty("errors").TryGetProperty(path, out _), body.ToString());
        Assert.Equal(before, app.PublishedCreateCommands);
    }

    [Theory]
    [InlineData("""{"service_name":"x-tpl","template":"static-web","image":"ubuntu:latest"}""", "image")]
    [InlineData("""{"service_name":"x-tpl","template":"static-web","env":{"A":"b"}}""", "env")]
    [InlineData("""{"service_name":"x-tpl","template":"../etc"}""", "template")]
    [InlineData("""{"service_name":"x-tpl","image":"nginx:alpine","params":{"a":"b"}}""", "params")]
    public async Task A_body_mixing_a_template_with_its_own_fields_is_400(string body, string field)
    {
        var (response, problem) = await Create(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task An_unknown_template_is_404()
    {
        var (response, _) = await Create($$"""{"service_name":"{{NewName()}}","template":"no-such-template"}""");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
