using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Contracts;

namespace Messaging.IntegrationTests.Builds;

/// <summary>
/// The bounds of a build on the real engine: a context's older images are removed beyond its <c>KeepImages</c>; a build
/// that outlasts its <c>Timeout</c> is stopped (<c>build_timeout</c>) and one that writes more than <c>MaxLogSize</c> is
/// stopped (<c>log_limit_exceeded</c>), each leaving no build container behind and the engine answering.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class BuildBoundsTests(SystemFixture system)
{
    private async Task<ImageBuildFailed?> Build(string context, Func<ImageBuilt, bool>? succeeded = null)
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        using var created = await alice.PostAsJsonAsync("/api/v1/builds", new { context, args = new Dictionary<string, string> { ["NONCE"] = Guid.NewGuid().ToString("N") } });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var buildId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("build_id").GetGuid();
        var outcome = await Task.WhenAny(
            system.Events.WaitFor<ImageBuilt>(e => e.BuildId == buildId, TimeSpan.FromSeconds(90)).ContinueWith(t => (object)t.Result),
            system.Events.WaitFor<ImageBuildFailed>(e => e.BuildId == buildId, TimeSpan.FromSeconds(90)).ContinueWith(t => (object)t.Result));
        return (await outcome) as ImageBuildFailed;
    }

    private async Task<IList<ImagesListResponse>> ImagesOf(string context) =>
        await system.Docker.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { ["messaging.instance=it-tests"] = true, [$"messaging.build-context={context}"] = true },
            },
        });

    [Fact, Trait("Category", "Extended")] // long; kept out of the default run (README, "Test it")
    public async Task A_contexts_images_beyond_KeepImages_are_removed_after_a_build()
    {
        Assert.Null(await Build("it-prune"));
        Assert.Null(await Build("it-prune"));
        Assert.Null(await Build("it-prune"));
        // KeepImages 1: the newest stays, the two before it are gone (pruning runs right after the event, so wait a moment).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await ImagesOf("it-prune")).Count > 1 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Single(await ImagesOf("it-prune"));
    }

    [Fact]
    public async Task A_build_past_its_timeout_is_stopped_and_leaves_no_container()
    {
        var started = DateTime.UtcNow;
        var failed = await Build("it-timeout");
        Assert.NotNull(failed);
        Assert.Equal(BuildFailureReasons.Timeout, failed.Reason);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(45), "the 60 s step was not cut short");
        await AssertNoBuildContainerAsync("sleep 60");
        Assert.Empty(await ImagesOf("it-timeout"));
    }

    [Fact]
    public async Task A_build_writing_past_its_log_cap_is_stopped()
    {
        var failed = await Build("it-chatty");
        Assert.NotNull(failed);
        Assert.Equal(BuildFailureReasons.LogLimitExceeded, failed.Reason);
        Assert.True(failed.LogTail.Count <= 40);
        await AssertNoBuildContainerAsync("head -c 400000");
        Assert.Empty(await ImagesOf("it-chatty"));
    }

    [Fact]
    public async Task The_build_cache_prune_reaches_the_engine_over_its_socket_and_is_answered()
    {
        // POST /build/prune?keep-storage= as the worker sends it after every build; the engine answers what it reclaimed.
        var cache = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Messaging.Worker.Builds.EngineBuildCache>(system.WorkerServices);
        var reclaimed = await cache.PruneAsync(CancellationToken.None);
        Assert.NotNull(reclaimed);
        Assert.True(reclaimed >= 0);
    }

    /// <summary>The engine ends a classic build when its request goes away and removes the step's container (forcerm).</summary>
    private async Task AssertNoBuildContainerAsync(string command)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var left = await system.Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
            if (!left.Any(c => c.Command.Contains(command, StringComparison.Ordinal)))
                break;
            Assert.True(DateTime.UtcNow < deadline, $"a container running '{command}' is still there");
            await Task.Delay(250);
        }
        await system.Docker.System.PingAsync();
    }
}
