using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Messaging.State.Audit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>The live stream's limits, tight enough to test: a 300 ms heartbeat, 2 streams a token, 3 in all, 3 replayed.</summary>
public sealed class LiveEventsApplication : ApiApplication
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("LiveEvents:Heartbeat", "00:00:00.300");
        builder.UseSetting("LiveEvents:MaxStreamsPerToken", "2");
        builder.UseSetting("LiveEvents:MaxStreams", "3");
        builder.UseSetting("LiveEvents:ReplayMaxCount", "3");
    }
}

/// <summary>
/// <c>GET /api/v1/events</c> outlives the request that authenticated it: a revoked token's stream ends, streams are
/// capped per token and in all, and a replay is bounded and read from the caller's own slice of the trail.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class LiveEventsLimitsTests(LiveEventsApplication app) : IClassFixture<LiveEventsApplication>
{
    private sealed record SseEvent(string Id, string Type, string Data);

    private sealed class Stream(HttpResponseMessage response, ChannelReader<SseEvent> events, Task ended) : IDisposable
    {
        public HttpResponseMessage Response { get; } = response;
        public ChannelReader<SseEvent> Events { get; } = events;
        /// <summary>Completes when the server ends the stream.</summary>
        public Task Ended { get; } = ended;
        public void Dispose() => Response.Dispose();
    }

    private async Task<HttpResponseMessage> Request(string token, string? lastEventId = null)
    {
        var client = app.CreateClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private async Task<Stream> Open(string token, string? lastEventId = null)
    {
        var response = await Request(token, lastEventId);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var channel = Channel.CreateUnbounded<SseEvent>();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var ended = Task.Run(async () =>
        {
            string? id = null, type = null, data = null;
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (data is not null)
                            channel.Writer.TryWrite(new SseEvent(id ?? "", type ?? "message", data));
                        (id, type, data) = (null, null, null);
                    }
                    else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                    else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or HttpRequestException)
            {
                // The test closed the connection.
            }
            channel.Writer.TryComplete();
        });
        return new Stream(response, channel.Reader, ended);
    }

    private async Task<string> Append(string owner, string type = "ServiceStopped")
    {
        var serviceId = Guid.NewGuid();
        return (await app.Services.GetRequiredService<AuditStore>().AppendAsync(new AuditEntry
        {
            At = DateTimeOffset.UtcNow, Kind = AuditMessageTypes.Event, Type = type, Actor = owner, Owner = owner, ServiceId = serviceId,
            CommandId = Guid.NewGuid(), MessageId = Guid.NewGuid().ToString("D"), Message = $$"""{"service_id":"{{serviceId}}"}""",
        }, Guid.NewGuid()))!;
    }

    /// <summary>Everything the stream sends until it has been quiet for a while.</summary>
    private static async Task<List<SseEvent>> Drain(ChannelReader<SseEvent> events)
    {
        var taken = new List<SseEvent>();
        while (true)
        {
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
            try
            {
                taken.Add(await events.ReadAsync(quiet.Token));
            }
            catch (OperationCanceledException)
            {
                return taken;
            }
        }
    }

    [Fact]
    public async Task A_stream_ends_soon_after_its_token_is_revoked()
    {
        var admin = app.ClientWith(ApiApplication.AdminToken);
        var created = await (await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "watcher", scopes = new[] { "services:read" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        using var stream = await Open(created.GetProperty("token").GetString()!);

        Assert.Equal(HttpStatusCode.NoContent,
            (await admin.DeleteAsync($"/api/v1/tokens/{created.GetProperty("details").GetProperty("id").GetString()}")).StatusCode);

        // Heartbeat 300 ms: before the fix the stream went on for as long as the client kept it.
        Assert.Same(stream.Ended, await Task.WhenAny(stream.Ended, Task.Delay(TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public async Task A_token_over_its_stream_cap_is_answered_429_until_it_closes_one()
    {
        using (var first = await Open(ApiApplication.AliceToken))
        using (var second = await Open(ApiApplication.AliceToken))
        {
            using var third = await Request(ApiApplication.AliceToken);
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
            Assert.Contains("MaxStreamsPerToken", (await third.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        // The server notices the closed streams at their next write or wait.
        await Eventually(async () =>
        {
            using var again = await Request(ApiApplication.AliceToken);
            return again.StatusCode == HttpStatusCode.OK;
        });
    }

    [Fact]
    public async Task Streams_over_the_global_cap_are_answered_429()
    {
        using var alice1 = await Open(ApiApplication.AliceToken);
        using var alice2 = await Open(ApiApplication.AliceToken);
        using var bob = await Open(ApiApplication.BobToken);
        using var reader = await Request(ApiApplication.ReaderToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, reader.StatusCode);
        Assert.Contains("MaxStreams", (await reader.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_replay_after_Last_Event_ID_sends_only_the_newest_entries_and_says_so()
    {
        var owner = "alice";
        var first = await Append(owner);
        var later = new List<string>();
        for (var i = 0; i < 6; i++)
            later.Add(await Append(owner));
        await WaitForFreeSlots();

        using var stream = await Open(ApiApplication.AliceToken, first);
        var events = await Drain(stream.Events);

        Assert.Equal("replay_truncated", events[0].Type);
        Assert.Equal(later[^3..], events.Skip(1).Select(e => e.Id));
    }

    [Fact]
    public async Task A_replay_from_long_ago_starts_no_earlier_than_the_age_limit()
    {
        await WaitForFreeSlots();
        using var stream = await Open(ApiApplication.BobToken, "1-0");
        var events = await Drain(stream.Events);
        var truncated = Assert.Single(events, e => e.Type == "replay_truncated");
        var resumesAfter = JsonDocument.Parse(truncated.Data).RootElement.GetProperty("resumes_after").GetString()!;
        Assert.True(long.Parse(resumesAfter.Split('-')[0]) > DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds(), resumesAfter);
    }

    [Fact]
    public async Task An_owners_replay_is_not_pushed_out_by_other_owners_activity()
    {
        // Replay is capped at 3 entries. Read from the whole trail, bob's five would leave no room for carol's one.
        var before = await Append("dave");
        var carols = await Append("carol");
        for (var i = 0; i < 5; i++)
            await Append("bob");
        await WaitForFreeSlots();
        var tokens = app.Services.GetRequiredService<Messaging.State.Tokens.TokenStore>();
        await ApiApplication.SeedToken(tokens, "carol", "carol-token-0123456789abcdef0123456789", "services:read");

        using var stream = await Open("carol-token-0123456789abcdef0123456789", before);
        var events = await Drain(stream.Events);

        Assert.Equal([carols], events.Select(e => e.Id));
    }

    /// <summary>Streams of earlier tests in this class are released once the server notices they closed.</summary>
    private Task WaitForFreeSlots() => Eventually(() =>
        Task.FromResult(app.Services.GetRequiredService<Messaging.Api.LiveEvents.LiveStreamSlots>().Open == 0));

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(100);
        }
    }
}
