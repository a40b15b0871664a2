using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;

namespace Messaging.IntegrationTests.Builds;

/// <summary>
/// Builds on the real engine (issue 17), through the API, the broker and the worker: the shipped sample context builds
/// from a local base image and its image runs as a service for its owner only; a failing RUN, an out-of-memory step and a
/// step reaching for the network under <c>none</c> fail with their reasons and a masked log tail; a context holding a
/// symlink to /etc/shadow is refused before anything is built; two builds at once queue on the worker's one slot.
/// The contexts are in <see cref="BuildContextsForTests"/>.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class BuildEndToEndTests(SystemFixture system)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task<Guid> StartBuild(HttpClient api, string context, object? args = null)
    {
        using var response = await api.PostAsJsonAsync("/api/v1/builds", new { context, args });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("build_id").GetGuid();
    }

    private static async Task<JsonElement> Record(HttpClient api, Guid id) =>
        await api.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{id}");

    private async Task<JsonElement> WaitFor(HttpClient api, Guid id, Func<JsonElement, bool> done, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var record = await Record(api, id);
            if (done(record))
                return record;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Build {id}: {record}; the hosts logged of it: " +
                    string.Join(" | ", system.LogLines.Where(line => line.Contains(id.ToString("D"), StringComparison.OrdinalIgnoreCase)).TakeLast(20)));
            await Task.Delay(100);
        }
    }

    private static bool Finished(JsonElement record) => record.GetProperty("status").GetString() is BuildStatus.Succeeded or BuildStatus.Failed;

    [Fact]
    public async Task The_sample_context_builds_and_its_image_runs_as_a_service_of_its_owner_only()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var id = await StartBuild(alice, "hello-web", new Dictionary<string, string> { ["GREETING"] = "Hi there" });
        var record = await WaitFor(alice, id, Finished);
        Assert.True(record.GetProperty("status").GetString() == BuildStatus.Succeeded, record.ToString());
        var image = record.GetProperty("image").GetString()!;
        Assert.StartsWith("messaging-builds/it-tests/hello-web:", image);
        var built = await system.Events.WaitFor<ImageBuilt>(e => e.BuildId == id);
        Assert.Equal(image, built.Image);
        Assert.Equal("alice", built.Owner);
        var labels = (await system.Docker.Images.InspectImageAsync(image)).Config!.Labels!;
        Assert.Equal("alice", labels["messaging.owner"]);

        // Alice runs it; the page and the build argument's file are in it.
        using var created = await alice.PostAsJsonAsync("/api/v1/services", new { service_name = "built-web", image });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var serviceId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        var outcome = await system.Events.WaitForOutcome(serviceId);
        var running = Assert.IsType<ServiceCreated>(outcome);
        Assert.Contains("built by messaging", await ServingPort.GetStringAsync(running.HostPort));
        Assert.Equal("Hi there from a build\n", await ServingPort.GetStringAsync(running.HostPort, "/greeting.txt"));
        var container = await system.Docker.Containers.InspectContainerAsync(running.ContainerId);
        Assert.Equal("101:101", container.Config!.User);
        Assert.Equal(64L * 1024 * 1024, container.HostConfig!.Memory); // the context's Run defaults

        // Bob may not, though he knows its name.
        using var bob = system.Api(SystemFixture.BobToken);
        using var stolen = await bob.PostAsJsonAsync("/api/v1/services", new { service_name = "stolen-web", image });
        var bobsId = (await stolen.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        var refused = Assert.IsType<ServiceCreationFailed>(await system.Events.WaitForOutcome(bobsId));
        Assert.Equal(FailureReasons.ImageNotAllowed, refused.Reason);
        Assert.Empty(await system.OurContainers("stolen-web"));
        // ...nor read the build.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/v1/builds/{id}")).StatusCode);

        await alice.DeleteAsync($"/api/v1/services/{serviceId}");
    }

    [Fact]
    public async Task A_failing_RUN_fails_the_build_with_its_log_tail_and_the_secret_masked()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        const string secret = "Sup3rSecretToken";
        var id = await StartBuild(alice, "it-fail", new Dictionary<string, string> { ["TOKEN"] = secret });
        var failed = await system.Events.WaitFor<ImageBuildFailed>(e => e.BuildId == id, TimeSpan.FromSeconds(90));
        Assert.Equal(BuildFailureReasons.BuildFailed, failed.Reason);
        Assert.Contains("non-zero code: 3", failed.Message);
        Assert.Contains(failed.LogTail, line => line.Contains("about to fail", StringComparison.Ordinal));
        Assert.Contains(failed.LogTail, line => line.Contains("using token [secret]", StringComparison.Ordinal));
        var record = await Record(alice, id);
        Assert.DoesNotContain(secret, record.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, JsonSerializer.Serialize(failed, Json), StringComparison.Ordinal);
        Assert.Equal(BuildStatus.Failed, record.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_failed_build_leaves_no_layers_of_its_own_behind()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var id = await StartBuild(alice, "it-fail-layers", new Dictionary<string, string> { ["NONCE"] = Guid.NewGuid().ToString("N") });
        var failed = await system.Events.WaitFor<ImageBuildFailed>(e => e.BuildId == id, TimeSpan.FromSeconds(90));
        Assert.Equal(BuildFailureReasons.BuildFailed, failed.Reason);
        // FROM, then the ARG and the NONCE step committed images of their own, untagged (our labels go on the final image
        // only); the failure removes the last, and with it its untagged parents. The FROM image, tagged, stays.
        var steps = failed.LogTail.Select(Messaging.Worker.Builds.EngineBuilds.StepImageOf).OfType<string>().ToList();
        Assert.True(steps.Count >= 3, "the log shows the committed steps: " + string.Join(" | ", failed.LogTail));
        foreach (var step in steps.Skip(1))
        {
            var gone = await Assert.ThrowsAnyAsync<DockerApiException>(() => system.Docker.Images.InspectImageAsync(step));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        }
        Assert.NotNull(await system.Docker.Images.InspectImageAsync("messaging-test/busybox:latest"));
    }

    [Fact]
    public async Task A_context_with_a_symlink_to_etc_shadow_is_refused_before_any_build()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var id = await StartBuild(alice, "it-shadow");
        var failed = await system.Events.WaitFor<ImageBuildFailed>(e => e.BuildId == id, TimeSpan.FromSeconds(60));
        Assert.Equal(BuildFailureReasons.ContextRefused, failed.Reason);
        Assert.Contains("shadow", failed.Message);
        Assert.Empty(failed.LogTail); // nothing reached the engine
        Assert.Empty(await BuiltImagesOf("it-shadow"));
    }

    [Fact]
    public async Task A_step_reaching_for_the_network_fails_under_none_and_succeeds_where_the_operator_allows_it()
    {
        // The broker's management port listens on every interface: reachable from the default bridge's gateway.
        var bridge = await system.Docker.Networks.InspectNetworkAsync("bridge");
        var gateway = bridge.IPAM!.Config![0].Gateway!;
        var target = new Dictionary<string, string> { ["TARGET_HOST"] = gateway, ["TARGET_PORT"] = "15672" };
        using var alice = system.Api(SystemFixture.AliceToken);

        var closed = await WaitFor(alice, await StartBuild(alice, "it-net", target), Finished);
        Assert.Equal(BuildStatus.Failed, closed.GetProperty("status").GetString());
        Assert.Equal(BuildFailureReasons.BuildFailed, closed.GetProperty("failure").GetProperty("code").GetString());

        var open = await WaitFor(alice, await StartBuild(alice, "it-net-open", target), Finished);
        Assert.True(open.GetProperty("status").GetString() == BuildStatus.Succeeded, open.ToString());
        Assert.Contains(open.GetProperty("log_tail").EnumerateArray(), line => line.GetString()!.Contains("reached the network"));
    }

    [Fact]
    public async Task A_step_past_its_memory_limit_fails_as_out_of_memory_and_the_engine_is_fine()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var id = await StartBuild(alice, "it-oom");
        // The record first: it may wait in the queue behind another test's build, and if it never ends it says where it stands.
        var record = await WaitFor(alice, id, Finished, seconds: 180);
        Assert.True(record.GetProperty("status").GetString() == BuildStatus.Failed, record.ToString());
        var failed = await system.Events.WaitFor<ImageBuildFailed>(e => e.BuildId == id, TimeSpan.FromSeconds(30));
        Assert.Equal(BuildFailureReasons.OutOfMemory, failed.Reason);
        // No build container is left behind, and the engine answers.
        var leftovers = await system.Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        Assert.DoesNotContain(leftovers, c => c.Command.Contains("tail -c 150000000", StringComparison.Ordinal));
        await system.Docker.System.PingAsync();
    }

    [Fact]
    public async Task Two_builds_at_once_queue_on_the_one_build_slot()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        // Positions count every waiting build: start from an idle worker, with no other test's build still under way.
        using var admin = system.Api(SystemFixture.Token);
        var idleBy = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < idleBy &&
               (await admin.GetFromJsonAsync<JsonElement>("/api/v1/builds")).EnumerateArray().Any(b => !Finished(b)))
            await Task.Delay(200);
        var first = await StartBuild(alice, "it-slow", new Dictionary<string, string> { ["NONCE"] = Guid.NewGuid().ToString("N") });
        var second = await StartBuild(alice, "it-slow", new Dictionary<string, string> { ["NONCE"] = Guid.NewGuid().ToString("N") });
        // While one builds, the other waits at the head of the queue (which of the two the worker took first is its own
        // business). The record says queued as the worker takes the command, and gets its position once it waits.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        (Guid Waiting, Guid Running)? line = null;
        JsonElement waiting = default;
        while (line is null && DateTime.UtcNow < deadline)
        {
            foreach (var (one, other) in new[] { (first, second), (second, first) })
            {
                // The record as seen with its position (read again later, the first build may have ended by then).
                var record = await Record(alice, one);
                if (record.GetProperty("queue_position").ValueKind == JsonValueKind.Number)
                    (line, waiting) = ((one, other), record);
            }
            await Task.Delay(50);
        }
        Assert.True(line is not null, "neither build was ever queued with a position");
        Assert.Equal(BuildStatus.Queued, waiting.GetProperty("status").GetString());
        Assert.Equal(0, waiting.GetProperty("queue_position").GetInt32());
        var running = await WaitFor(alice, line.Value.Running, r => r.GetProperty("status").GetString() != BuildStatus.Queued, 10);
        Assert.Equal(BuildStatus.Building, running.GetProperty("status").GetString());

        var runningDone = await WaitFor(alice, line.Value.Running, Finished);
        var waitingDone = await WaitFor(alice, line.Value.Waiting, Finished);
        Assert.Equal(BuildStatus.Succeeded, runningDone.GetProperty("status").GetString());
        Assert.Equal(BuildStatus.Succeeded, waitingDone.GetProperty("status").GetString());
        // One at a time: the waiting one started only once the other had finished.
        Assert.True(waitingDone.GetProperty("started_at").GetDateTimeOffset() >= runningDone.GetProperty("finished_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task The_cli_builds_a_context_and_exits_non_zero_with_the_reason_when_the_build_fails()
    {
        async Task<(int Exit, string Out, string Error)> Cli(params string[] args)
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            var exit = await Messaging.Cli.CliApplication.RunAsync(
                [.. args, "--url", system.ApiAddress.ToString(), "--token", SystemFixture.AliceToken], stdout, stderr, null)
                .WaitAsync(TimeSpan.FromMinutes(3)); // a build that never ends must fail the test, not hang the run
            return (exit, stdout.ToString(), stderr.ToString());
        }

        var built = await Cli("build", "hello-web", "--arg", "GREETING=From the CLI", "--wait");
        Assert.True(built.Exit == 0, built.ToString());
        Assert.Contains("Built messaging-builds/it-tests/hello-web:", built.Out);
        Assert.Contains(": building", built.Error);

        var failed = await Cli("build", "it-fail", "--arg", "TOKEN=CliSecret123", "--wait");
        Assert.Equal(1, failed.Exit);
        Assert.Contains("build_failed", failed.Out);
        Assert.Contains("using token [secret]", failed.Out);
        Assert.DoesNotContain("CliSecret123", failed.Out + failed.Error);
    }

    private async Task<IList<ImagesListResponse>> BuiltImagesOf(string context) =>
        await system.Docker.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { ["messaging.instance=it-tests"] = true, [$"messaging.build-context={context}"] = true },
            },
        });
}
