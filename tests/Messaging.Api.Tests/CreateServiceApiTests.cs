using Messaging.State;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Api.Tests;

[Trait("Requires", "Redis")]
public sealed class CreateServiceApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private const string OriginalBody = """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string UniqueBody(string name) =>
        OriginalBody.Replace("my-nginx", name, StringComparison.Ordinal);

    [Fact]
    public async Task The_original_body_is_accepted_and_CreateService_is_published()
    {
        var name = $"web-{Guid.NewGuid():N}"[..20];
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Json(UniqueBody(name)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var serviceId = body.GetProperty("service_id").GetGuid();
        Assert.Equal(name, body.GetProperty("service_name").GetString());
        Assert.Equal("pending", body.GetProperty("status").GetString());
        Assert.Equal(3, body.EnumerateObject().Count());
        Assert.Equal($"/api/v1/services/{serviceId}", response.Headers.Location!.OriginalString);

        Assert.True(await app.Harness.Published.Any<CreateService>(m => m.Context.Message.ServiceId == serviceId));
        var command = app.Harness.Published.Select<CreateService>().Single(m => m.Context.Message.ServiceId == serviceId).Context.Message;
        Assert.Equal(name, command.ServiceName);
        Assert.Equal("nginx:alpine", command.Image);
        Assert.Equal("128m", command.MemoryLimit);
        Assert.Equal(0.5, command.CpuLimit);
        Assert.Equal("alice", command.RequestedBy);
        Assert.NotEqual(Guid.Empty, command.CommandId);
    }

    [Fact]
    public async Task A_body_with_only_name_and_image_is_accepted_and_the_command_leaves_the_limits_to_the_worker()
    {
        var name = $"web-{Guid.NewGuid():N}"[..20];
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services",
            Json($$"""{"service_name":"{{name}}","image":"nginx:alpine"}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var serviceId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        Assert.True(await app.Harness.Published.Any<CreateService>(m => m.Context.Message.ServiceId == serviceId));
        var command = app.Harness.Published.Select<CreateService>().Single(m => m.Context.Message.ServiceId == serviceId).Context.Message;
        // Absent, not a made-up value: the worker holds the allowlist and its per-image defaults.
        Assert.Null(command.MemoryLimit);
        Assert.Null(command.CpuLimit);
    }

    [Fact]
    public async Task The_accepted_service_reads_back_as_pending_for_its_owner_only()
    {
        var name = $"web-{Guid.NewGuid():N}"[..20];
        var accepted = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Json(UniqueBody(name)));
        var location = accepted.Headers.Location!.OriginalString;

        var own = await app.ClientWith(ApiApplication.AliceToken).GetFromJsonAsync<JsonElement>(location);
        Assert.Equal("pending", own.GetProperty("status").GetString());
        Assert.Equal("alice", own.GetProperty("owner").GetString());
        Assert.Equal("128m", own.GetProperty("memory_limit").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWith(ApiApplication.BobToken).GetAsync(location)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWith(ApiApplication.AdminToken).GetAsync(location)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_service_is_404_problem_details()
    {
        var response = await app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/services/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"privileged":true}""", "privileged" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"binds":["/:/host"]}""", "binds" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"network_mode":"host"}""", "network_mode" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","image":"evil:latest","memory_limit":"128m","cpu_limit":0.5}""", "image" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":"0.5"}""", "cpu_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":NaN}""", "cpu_limit" },
        { """{"service_name":"my-nginx",""", "body" },
        { "[]", "body" },
        { "null", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Malformed_or_unknown_fields_are_400_and_publish_nothing(string body, string mentioned)
    {
        var before = app.PublishedCreateCommands;
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Contains(mentioned, problem.GetProperty("detail").GetString());
        Assert.Equal(before, app.PublishedCreateCommands);
    }

    public static TheoryData<string, string> InvalidValues => new()
    {
        { """{"service_name":"My_Nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""", "service_name" },
        { """{"service_name":"../../etc","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""", "service_name" },
        { """{"image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""", "service_name" },
        { """{"service_name":"my-nginx","image":"nginx alpine","memory_limit":"128m","cpu_limit":0.5}""", "image" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"0","cpu_limit":0.5}""", "memory_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"-1","cpu_limit":0.5}""", "memory_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"1e9g","cpu_limit":0.5}""", "memory_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"99999999999999999999","cpu_limit":0.5}""", "memory_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0}""", "cpu_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":65}""", "cpu_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":""}""", "memory_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","cpu_limit":0}""", "cpu_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"5m"}""", "memory_limit" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"internal_port":70000}""", "internal_port" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"env":{"BAD-KEY":"x"}}""", "env" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"env":{"A":null}}""", "env" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"restart":"sometimes"}""", "restart" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"max_restarts":101}""", "max_restarts" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"max_restarts":-1}""", "max_restarts" },
        { """{"service_name":"my-nginx","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5,"on_unhealthy":"ignore"}""", "on_unhealthy" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public async Task Invalid_values_are_400_validation_problems_naming_the_field(string body, string field)
    {
        var before = app.PublishedCreateCommands;
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
        Assert.Equal(before, app.PublishedCreateCommands);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-known-token-0123456789abcdef")]
    public async Task Missing_or_wrong_token_is_401_problem_details_and_publishes_nothing(string? token)
    {
        var before = app.PublishedCreateCommands;
        var response = await app.ClientWith(token).PostAsync("/api/v1/services", Json(OriginalBody));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(before, app.PublishedCreateCommands);
    }

    [Fact]
    public async Task A_token_without_the_write_scope_is_403()
    {
        var before = app.PublishedCreateCommands;
        var response = await app.ClientWith(ApiApplication.ReaderToken).PostAsync("/api/v1/services", Json(OriginalBody));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(before, app.PublishedCreateCommands);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        var response = await app.ClientWith(ApiApplication.AliceToken)
            .PostAsync("/api/v1/services", new StringContent(OriginalBody, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_413()
    {
        var huge = OriginalBody.Replace("}", $",\"env\":{{\"A\":\"{new string('x', 70 * 1024)}\"}}}}", StringComparison.Ordinal);
        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Json(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_name_held_by_a_live_service_is_409()
    {
        var name = $"taken-{Guid.NewGuid():N}"[..20];
        await app.Redis.HashSetAsync(new RedisKeys(app.KeyPrefix).Names, name, Guid.NewGuid().ToString());
        var before = app.PublishedCreateCommands;

        var response = await app.ClientWith(ApiApplication.AliceToken).PostAsync("/api/v1/services", Json(UniqueBody(name)));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(before, app.PublishedCreateCommands);
    }
}
