using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;
using Microsoft.Extensions.DependencyInjection;

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
        // The broker confirmed: the record is no candidate for the not_delivered expiry.
        Assert.False((await app.Services.GetRequiredService<Messaging.State.Builds.BuildStore>().GetAsync(buildId))!.Unconfirmed);
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

    [Fact]
    public async Task A_builds_log_streams_relayed_lines_live_then_the_tail_lines_it_missed_and_ends_with_the_outcome()
    {
        var builder = app.ClientWith(ApiApplication.BuilderToken);
        using var created = await builder.PostAsJsonAsync("/api/v1/builds", new { context = "hello-web" });
        var buildId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("build_id").GetGuid();
        var relay = app.Services.GetRequiredService<Messaging.Api.Builds.BuildLogRelay>();
        relay.Add(buildId, 1, ["Step 1/3 : FROM nginx:alpine", "  indented output"]);

        using var response = await builder.GetAsync($"/api/v1/builds/{buildId}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var stream = new SseReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal(("1", "line", "Step 1/3 : FROM nginx:alpine"), await stream.NextAsync());
        Assert.Equal(("2", "line", "  indented output"), await stream.NextAsync());

        relay.Add(buildId, 2, ["  indented output", "Step 2/3 : COPY . /"]); // a line it has is not sent twice
        Assert.Equal(("3", "line", "Step 2/3 : COPY . /"), await stream.NextAsync());

        // The build ends; lines 4 and 5 never came over the bus: they come from the record's tail, then the outcome.
        var store = app.Services.GetRequiredService<Messaging.State.Builds.BuildStore>();
        var record = (await store.GetAsync(buildId))!;
        await store.SaveAsync(record with
        {
            Status = BuildStatus.Succeeded, Image = "messaging-builds/test/hello-web:abc", LogLines = 5,
            LogTail = ["  indented output", "Step 2/3 : COPY . /", "Step 3/3 : LABEL x=y", "Successfully tagged messaging-builds/test/hello-web:abc"],
            FinishedAt = DateTimeOffset.UtcNow,
        });
        Assert.Equal(("4", "line", "Step 3/3 : LABEL x=y"), await stream.NextAsync());
        Assert.Equal(("5", "line", "Successfully tagged messaging-builds/test/hello-web:abc"), await stream.NextAsync());
        var end = await stream.NextAsync();
        Assert.Equal("end", end.Event);
        var outcome = JsonDocument.Parse(end.Data).RootElement;
        Assert.Equal("succeeded", outcome.GetProperty("status").GetString());
        Assert.Equal("messaging-builds/test/hello-web:abc", outcome.GetProperty("image").GetString());
        Assert.Null(await stream.NextOrNullAsync()); // and the stream closes

        // Resumed after line 3 (a reconnect), a finished build's stream gives the rest at once.
        using var resumed = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/builds/{buildId}/logs");
        resumed.Headers.Add("Last-Event-ID", "3");
        using var rest = await builder.SendAsync(resumed);
        var body = await rest.Content.ReadAsStringAsync();
        Assert.DoesNotContain("id: 3\n", body);
        Assert.Contains("id: 4\nevent: line\ndata: Step 3/3 : LABEL x=y\n", body);
        Assert.Contains("event: end", body);

        Assert.Equal(HttpStatusCode.NotFound, (await builder.GetAsync($"/api/v1/builds/{Guid.NewGuid()}/logs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWith(ApiApplication.AliceToken).GetAsync($"/api/v1/builds/{buildId}/logs")).StatusCode);
    }

    /// <summary>Reads Server-Sent Events one at a time (comments skipped).</summary>
    private sealed class SseReader(Stream stream) : IDisposable
    {
        private readonly StreamReader _reader = new(stream);

        public async Task<(string? Id, string? Event, string Data)> NextAsync() =>
            await NextOrNullAsync() ?? throw new EndOfStreamException("the stream ended");

        public async Task<(string? Id, string? Event, string Data)?> NextOrNullAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            string? id = null, kind = null, data = null;
            while (await _reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null)
                        return (id, kind, data);
                    (id, kind) = (null, null);
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                else if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            }
            return null;
        }

        public void Dispose() => _reader.Dispose();
    }
}
