using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.IntegrationTests.Builds;

/// <summary>
/// Live build logs on the real engine and broker: the worker relays each line as the build writes it
/// (<c>ImageBuildLogged</c>), the API streams them as Server-Sent Events while the build still runs, the secret argument
/// masked, and the CLI's <c>build --follow</c> prints them. The context <c>it-live</c> writes a line a second.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class BuildLogStreamTests(SystemFixture system)
{
    private const string Secret = "LiveSecretToken42";

    [Fact]
    public async Task A_running_builds_lines_stream_live_with_the_secret_masked_and_the_stream_ends_with_the_outcome()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        alice.Timeout = TimeSpan.FromSeconds(120);
        using var created = await alice.PostAsJsonAsync("/api/v1/builds", new
        {
            context = "it-live", args = new Dictionary<string, string> { ["TOKEN"] = Secret, ["NONCE"] = Guid.NewGuid().ToString("N") },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var buildId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("build_id").GetGuid();

        using var response = await alice.GetAsync($"/api/v1/builds/{buildId}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<(long Number, string Line)>();
        string? statusAtFirstTick = null, end = null;
        string? id = null, kind = null;
        while (end is null && await reader.ReadLineAsync() is { } text)
        {
            if (text.StartsWith("id: ", StringComparison.Ordinal)) id = text[4..];
            else if (text.StartsWith("event: ", StringComparison.Ordinal)) kind = text[7..];
            else if (text.StartsWith("data: ", StringComparison.Ordinal) && kind == "end") end = text[6..];
            else if (text.StartsWith("data: ", StringComparison.Ordinal) && kind == "line")
            {
                lines.Add((long.Parse(id!), text[6..]));
                if (statusAtFirstTick is null && text.Contains("tick 1", StringComparison.Ordinal))
                    statusAtFirstTick = (await alice.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{buildId}")).GetProperty("status").GetString();
            }
        }

        Assert.NotNull(end);
        Assert.Equal(BuildStatus.Succeeded, JsonDocument.Parse(end).RootElement.GetProperty("status").GetString());
        // Live: the first tick came while the build was still running (two more seconds of it to go).
        Assert.Equal(BuildStatus.Building, statusAtFirstTick);
        Assert.Contains(lines, l => l.Line == "tick 2 with [secret]");
        Assert.DoesNotContain(lines, l => l.Line.Contains(Secret, StringComparison.Ordinal));
        // Every line once, in order, numbered from 1, up to the record's count.
        Assert.Equal(Enumerable.Range(1, lines.Count).Select(n => (long)n), lines.Select(l => l.Number));
        var record = await alice.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{buildId}");
        Assert.Equal(record.GetProperty("log_tail")[record.GetProperty("log_tail").GetArrayLength() - 1].GetString(), lines[^1].Line);

        // Nobody else's.
        using var bob = system.Api(SystemFixture.BobToken);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/v1/builds/{buildId}/logs")).StatusCode);
    }

    [Fact]
    public async Task The_cli_follows_a_build_printing_its_lines_as_they_come()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await Messaging.Cli.CliApplication.RunAsync(
            ["build", "it-live", "--arg", $"TOKEN={Secret}", "--arg", $"NONCE={Guid.NewGuid():N}", "--follow",
             "--url", system.ApiAddress.ToString(), "--token", SystemFixture.AliceToken], stdout, stderr, null)
            .WaitAsync(TimeSpan.FromMinutes(3)); // a build that never ends must fail the test, not hang the run
        var output = stdout.ToString();
        Assert.True(exit == 0, output + stderr);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("tick 1 with [secret]", lines);
        Assert.Contains("tick 3 with [secret]", lines);
        Assert.DoesNotContain(Secret, output + stderr, StringComparison.Ordinal);
        Assert.StartsWith("Built messaging-builds/it-tests/it-live:", lines.Last(l => l.Length > 0));
        Assert.Single(lines, l => l == "tick 2 with [secret]"); // each line once, not again as a tail
    }
}
