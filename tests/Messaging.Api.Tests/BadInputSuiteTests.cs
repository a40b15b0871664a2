using System.Net;
using System.Text;
using Messaging.Contracts;
using Messaging.State.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>
/// Hostile and malformed requests, each with the exact status it must get, and proof that nothing was
/// created: no command published, no record written.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class BadInputSuiteTests(BadInputSuiteTests.Application app) : IClassFixture<BadInputSuiteTests.Application>
{
    public const string ExpiredToken = "expired-token-for-the-bad-input-suite-0123";
    public const string RevokedToken = "revoked-token-for-the-bad-input-suite-0123";
    public static readonly Guid BobsService = Guid.Parse("0b0b0b0b-0000-4000-8000-000000000001");

    public sealed class Application : ApiApplication
    {
        protected override Microsoft.Extensions.Hosting.IHost CreateHost(Microsoft.Extensions.Hosting.IHostBuilder builder)
        {
            var host = base.CreateHost(builder);
            var tokens = host.Services.GetRequiredService<TokenStore>();
            Task.WaitAll(
                tokens.SaveAsync(new TokenRecord { Id = "expired", Name = "expired", Scopes = ["admin"], Sha256 = Convert.ToHexString(TokenStore.Hash(ExpiredToken)), CreatedAt = DateTimeOffset.UtcNow.AddDays(-1), ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }),
                tokens.SaveAsync(new TokenRecord { Id = "revoked", Name = "revoked", Scopes = ["admin"], Sha256 = Convert.ToHexString(TokenStore.Hash(RevokedToken)), CreatedAt = DateTimeOffset.UtcNow.AddDays(-1), RevokedAt = DateTimeOffset.UtcNow.AddMinutes(-1) }),
                host.Services.GetRequiredService<Messaging.State.ServiceRecordStore>().SaveAsync(new Messaging.State.ServiceRecord
                {
                    ServiceId = BobsService, CommandId = Guid.NewGuid(), Name = "bobs-service", Image = "nginx:alpine", Owner = "bob",
                    Status = ServiceStatus.Running, MemoryLimit = "128m", CpuLimit = 0.5, ContainerId = "c0ffee",
                    CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
                }));
            return host;
        }
    }

    private const string A = ApiApplication.AliceToken;
    private const string Good = """{"service_name":"hostile-probe","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""";
    private static string With(string field, string json) => Good.Replace("}", $",\"{field}\":{json}}}", StringComparison.Ordinal);
    private static string Set(string field, string json) =>
        System.Text.RegularExpressions.Regex.Replace(Good, $"\"{field}\":(\"[^\"]*\"|[0-9.]+)", $"\"{field}\":{json}");

    public static TheoryData<string, string, string, string?, string, string?, int, string?> Cases()
    {
        var data = new TheoryData<string, string, string, string?, string, string?, int, string?>();
        void Post(string name, string body, int status, string? token = A, string type = "application/json") =>
            data.Add(name, "POST", "/api/v1/services", token, type, body, status, null);
        void Add(string name, string method, string path, string? token, string type, string? body, int status, string? lastEventId = null) =>
            data.Add(name, method, path, token, type, body, status, lastEventId);

        // Fields nobody may send: the worker builds every container spec itself.
        foreach (var field in new[] { "privileged", "binds", "network_mode", "cap_add", "devices", "volumes", "pid_mode", "ipc_mode",
                     "user", "labels", "security_opt", "host_config", "sysctls", "mounts", "entrypoint", "cmd", "restart_policy" })
            Post($"unknown field {field}", With(field, field is "privileged" ? "true" : "\"x\""), 400);
        Post("unknown field in camelCase", With("ServiceName", "\"x\""), 400);
        Post("duplicate image field", Good.Replace("\"image\":\"nginx:alpine\"", "\"image\":\"nginx:alpine\",\"image\":\"evil:latest\"", StringComparison.Ordinal), 400);

        // Names with path, case, unicode and control tricks.
        foreach (var name in new[] { "../etc", "my/nginx", "My-Nginx", "-leading", "a", "ｎｇｉｎｘ", "nginx\\u0000", "nginx\\n", "nginx%2F..", "x" + new string('a', 63), "", " spaced " })
            Post($"service_name {name}", Set("service_name", $"\"{name}\""), 400);
        Post("service_name number", Set("service_name", "42"), 400);
        Post("service_name null", Set("service_name", "null"), 400);

        // Memory.
        foreach (var memory in new[] { "0", "-1", "1e9g", "99999999999999999999", "5m", "2048g", "128mb", "1.5g", "128 m", "0x80m", "" })
            Post($"memory_limit {memory}", Set("memory_limit", $"\"{memory}\""), 400);
        Post("memory_limit as number", Set("memory_limit", "134217728"), 400);

        // CPU.
        foreach (var cpu in new[] { "0", "-0.5", "65", "0.001", "1e400" })
            Post($"cpu_limit {cpu}", Set("cpu_limit", cpu), 400);
        // (null is absent: the worker applies the image's default CPU limit.)
        foreach (var cpu in new[] { "NaN", "Infinity", "\"0.5\"", "true" })
            Post($"cpu_limit {cpu}", Set("cpu_limit", cpu), 400);

        // Image references.
        foreach (var image in new[] { "nginx alpine", "NGINX", "nginx:alpine;rm -rf /", "nginx@sha256:short", "nginx:", "" })
            Post($"image {image}", Set("image", $"\"{image}\""), 400);

        // Ports and env.
        foreach (var port in new[] { "0", "65536", "-1", "\"80\"" })
            Post($"internal_port {port}", With("internal_port", port), 400);
        Post("env with a bad key", With("env", """{"BAD-KEY":"x"}"""), 400);
        Post("env with an equals in the key", With("env", """{"LD_PRELOAD=/x":"y"}"""), 400);
        Post("env with a null value", With("env", """{"A":null}"""), 400);
        Post("env with a non-string value", With("env", """{"A":1}"""), 400);
        Post("env with too many entries", With("env", "{" + string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"K{i}\":\"v\"")) + "}"), 400);
        Post("env with a huge value", With("env", $$"""{"A":"{{new string('x', 5000)}}"}"""), 400);
        Post("env as an array", With("env", """["A=1"]"""), 400);

        // Shapes, sizes and types.
        Post("invalid JSON", """{"service_name":"x",""", 400);
        Post("a JSON array", "[]", 400);
        Post("JSON null", "null", 400);
        Post("an empty body", "", 400);
        Post("trailing garbage", Good + "garbage", 400);
        Post("wrong content type", Good, 415, type: "text/plain");
        Post("form content type", "service_name=x", 415, type: "application/x-www-form-urlencoded");
        Post("oversized body", With("env", $$"""{"A":"{{new string('x', 70 * 1024)}}"}"""), 413);

        // Who is asking.
        Post("no token", Good, 401, token: null);
        Post("wrong token", Good, 401, token: "not-a-token-0123456789abcdef0123456789");
        Post("expired token", Good, 401, token: ExpiredToken);
        Post("revoked token", Good, 401, token: RevokedToken);
        Post("token of 10 KiB", Good, 401, token: new string('a', 10 * 1024));
        Post("read-only token", Good, 403, token: ApiApplication.ReaderToken);

        // Other owners' services and other calls.
        Add("get another owner's service", "GET", $"/api/v1/services/{BobsService}", A, "application/json", null, 404);
        Add("stop another owner's service", "POST", $"/api/v1/services/{BobsService}/stop", A, "application/json", null, 404);
        Add("remove another owner's service", "DELETE", $"/api/v1/services/{BobsService}", A, "application/json", null, 404);
        Add("logs of another owner's service", "GET", $"/api/v1/services/{BobsService}/logs", A, "application/json", null, 404);
        Add("stats of another owner's service", "GET", $"/api/v1/services/{BobsService}/stats", A, "application/json", null, 404);
        Add("stop with a read-only token", "POST", $"/api/v1/services/{BobsService}/stop", ApiApplication.ReaderToken, "application/json", null, 403);
        Add("service id that is not a GUID", "GET", "/api/v1/services/..%2F..%2Fetc", A, "application/json", null, 404);
        Add("tokens without admin", "GET", "/api/v1/tokens", A, "application/json", null, 403);
        Add("create token without admin", "POST", "/api/v1/tokens", A, "application/json", """{"name":"x","scopes":["admin"]}""", 403);
        Add("expired token reads", "GET", "/api/v1/services", ExpiredToken, "application/json", null, 401);
        Add("revoked token reads", "GET", "/api/v1/services", RevokedToken, "application/json", null, 401);
        Add("list with a negative limit", "GET", "/api/v1/services?limit=-1", A, "application/json", null, 400);
        Add("list with a forged cursor", "GET", "/api/v1/services?cursor=djE6LTE", A, "application/json", null, 400);

        // Issue 13: every other lifecycle call and read on another owner's service answers as if it did not exist.
        Add("start another owner's service", "POST", $"/api/v1/services/{BobsService}/start", A, "application/json", null, 404);
        Add("restart another owner's service", "POST", $"/api/v1/services/{BobsService}/restart", A, "application/json", null, 404);
        Add("events of another owner's service", "GET", $"/api/v1/services/{BobsService}/events", A, "application/json", null, 404);

        // Issue 13.8: quotas are the admin's to give; an unlimited one is asked for explicitly and alone.
        Add("unlimited quota token without admin", "POST", "/api/v1/tokens", A, "application/json", """{"name":"greedy","scopes":["services:write"],"unlimited_quota":true}""", 403);
        Add("unlimited quota token by a reader", "POST", "/api/v1/tokens", ApiApplication.ReaderToken, "application/json", """{"name":"greedy","scopes":["services:read"],"unlimited_quota":true}""", 403);
        Add("unlimited quota with a limit beside it", "POST", "/api/v1/tokens", ApiApplication.AdminToken, "application/json", """{"name":"greedy","scopes":["services:write"],"unlimited_quota":true,"max_services":5}""", 400);

        // Issue 13.11: metadata services in every spelling an address can take, refused even for the admin.
        foreach (var (form, url) in new[]
        {
            ("AWS IPv6 metadata", "http://[fd00:ec2::254]/"),
            ("Alibaba metadata", "http://100.100.100.200/"),
            ("NAT64-wrapped metadata", "http://[64:ff9b::a9fe:a9fe]/"),
            ("6to4-wrapped metadata", "http://[2002:a9fe:a9fe::1]/"),
            ("Teredo-wrapped metadata", "http://[2001:0:4136:e378:8000:63bf:5601:5601]/"),
            ("IPv4-mapped metadata", "http://[::ffff:169.254.169.254]/"),
            ("decimal metadata", "http://2852039166/latest/meta-data/"),
        })
            Add($"webhook at {form}", "POST", "/api/v1/webhooks", ApiApplication.AdminToken, "application/json", $$"""{"url":"{{url}}"}""", 400);
        Add("webhook without admin", "POST", "/api/v1/webhooks", A, "application/json", """{"url":"https://example.com/hook"}""", 403);

        // Issue 13.14: /metrics needs its own scope.
        Add("metrics with a services token", "GET", "/metrics", A, "application/json", null, 403);
        Add("metrics without a token", "GET", "/metrics", null, "application/json", null, 401);

        // Issue 13.9: a resume point must be an id the stream sent, never a Redis range special or garbage.
        foreach (var id in new[] { "$", "+", "-", "garbage", "1-2-3", "0-0;DEL x" })
            Add($"live events after {id}", "GET", "/api/v1/events", A, "text/event-stream", null, 400, lastEventId: id);
        Add("live events after garbage in the query", "GET", "/api/v1/events?last_event_id=..%2F..", A, "text/event-stream", null, 400);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_gets_its_exact_status_and_creates_nothing(
        string description, string method, string path, string? token, string contentType, string? body, int status, string? lastEventId)
    {
        var before = app.PublishedCreateCommands;
        var lifecycleBefore = app.Harness.Published.Select<ServiceLifecycleCommand>().Count();
        var tokensBefore = (await app.Services.GetRequiredService<TokenStore>().ListAsync()).Count;
        var webhooksBefore = (await app.Services.GetRequiredService<Messaging.State.Webhooks.WebhookStore>().ListAsync()).Count;
        var bobsBefore = await app.Services.GetRequiredService<Messaging.State.ServiceRecordStore>().GetAsync(BobsService);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        var client = app.ClientWith(null);
        if (token is not null)
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (lastEventId is not null)
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);

        var response = await client.SendAsync(request);

        Assert.True(status == (int)response.StatusCode, $"{description}: expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(before, app.PublishedCreateCommands);
        Assert.DoesNotContain(app.Harness.Published.Select<StopService>(), m => m.Context.Message.ServiceId == BobsService && m.Context.Message.RequestedBy == "alice");
        Assert.Null(await app.Services.GetRequiredService<Messaging.State.ServiceRecordStore>().FindIdByNameAsync("hostile-probe"));
        Assert.Equal(lifecycleBefore, app.Harness.Published.Select<ServiceLifecycleCommand>().Count());
        Assert.Equal(tokensBefore, (await app.Services.GetRequiredService<TokenStore>().ListAsync()).Count);
        Assert.Equal(webhooksBefore, (await app.Services.GetRequiredService<Messaging.State.Webhooks.WebhookStore>().ListAsync()).Count);
        var bobsAfter = await app.Services.GetRequiredService<Messaging.State.ServiceRecordStore>().GetAsync(BobsService);
        Assert.Equal(bobsBefore!.Status, bobsAfter!.Status);
        Assert.Equal(bobsBefore.UpdatedAt, bobsAfter.UpdatedAt);
    }

    [Fact]
    public void The_suite_has_at_least_60_distinct_cases() =>
        Assert.True(Cases().Count() >= 60, $"only {Cases().Count()} cases");
}
