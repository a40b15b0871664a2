using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.State.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>The audit read API on entries written straight to the trail, as the audit host would have.</summary>
[Trait("Requires", "Redis")]
public sealed class AuditApiTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    private async Task<string> Append(Guid serviceId, string type, string actor, string owner)
    {
        var trail = app.Services.GetRequiredService<AuditStore>();
        var kind = AuditMessageTypes.Commands.Contains(type) ? AuditMessageTypes.Command : AuditMessageTypes.Event;
        var commandId = Guid.NewGuid();
        return (await trail.AppendAsync(new AuditEntry
        {
            At = DateTimeOffset.UtcNow, Kind = kind, Type = type, Actor = actor, Owner = owner, ServiceId = serviceId, CommandId = commandId,
            CorrelationId = commandId.ToString("D"), MessageId = Guid.NewGuid().ToString("D"), Message = $$"""{"service_id":"{{serviceId}}"}""",
        }, Guid.NewGuid()))!;
    }

    private static IEnumerable<JsonElement> Items(JsonElement page) => page.GetProperty("items").EnumerateArray();

    [Fact]
    public async Task A_services_events_are_paged_oldest_first_for_its_owner_and_not_found_for_another()
    {
        var id = await app.SeedService("alice", "stopped");
        string[] types = ["CreateService", "ServiceCreated", "StopService", "ServiceStopped"];
        foreach (var type in types)
            await Append(id, type, "alice", "alice");
        var alice = app.ClientWith(ApiApplication.AliceToken);

        var first = await alice.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events?limit=3");
        Assert.Equal(types[..3], Items(first).Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(id, Items(first).First().GetProperty("message").GetProperty("service_id").GetGuid());
        var cursor = first.GetProperty("next_cursor").GetString();
        var second = await alice.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events?limit=3&cursor={cursor}");
        Assert.Equal(["ServiceStopped"], Items(second).Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);

        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWith(ApiApplication.BobToken).GetAsync($"/api/v1/services/{id}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/v1/services/{Guid.NewGuid()}/events")).StatusCode);
        Assert.Equal(4, Items(await app.ClientWith(ApiApplication.AdminToken).GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events")).Count());
    }

    [Fact]
    public async Task The_audit_query_filters_by_actor_type_and_time_and_is_for_admins_only()
    {
        var actor = $"system-{Guid.NewGuid():N}";
        var id = Guid.NewGuid();
        await Append(id, "CreateService", actor, actor);
        var since = DateTimeOffset.UtcNow;
        await Task.Delay(5);
        var stopId = await Append(id, "StopService", actor, actor);
        await Append(id, "ServiceStopped", actor, actor);
        await Append(Guid.NewGuid(), "StopService", "someone-else", "someone-else");
        var admin = app.ClientWith(ApiApplication.AdminToken);

        var stops = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?actor={actor}&type=StopService");
        Assert.Equal([stopId], Items(stops).Select(i => i.GetProperty("id").GetString()));
        var recent = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?actor={actor}&since={Uri.EscapeDataString(since.ToString("O"))}");
        Assert.Equal(["StopService", "ServiceStopped"], Items(recent).Select(i => i.GetProperty("type").GetString()));

        var paged = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?actor={actor}&limit=2");
        Assert.Equal(2, Items(paged).Count());
        var rest = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?actor={actor}&limit=2&cursor={paged.GetProperty("next_cursor").GetString()}");
        Assert.Equal(["ServiceStopped"], Items(rest).Select(i => i.GetProperty("type").GetString()));

        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.AliceToken).GetAsync("/api/v1/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWith(null).GetAsync("/api/v1/audit")).StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/audit?limit=0")]
    [InlineData("/api/v1/audit?limit=201")]
    [InlineData("/api/v1/audit?cursor=not-a-cursor")]
    [InlineData("/api/v1/audit?since=yesterday")]
    [InlineData("/api/v1/audit?type=DropDatabase")]
    [InlineData("/api/v1/audit?actor=")]
    public async Task Bad_audit_query_parameters_are_a_400_problem(string url)
    {
        var response = await app.ClientWith(ApiApplication.AdminToken).GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_live_stream_refuses_a_malformed_Last_Event_ID()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.Add("Last-Event-ID", "yesterday");
        var response = await app.ClientWith(ApiApplication.AliceToken).SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
