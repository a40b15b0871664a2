using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Benchmarks.Infrastructure;

namespace Messaging.Benchmarks.Scenarios;

/// <summary>
/// Issue 17, "Measured": the shipped sample context (<c>hello-web</c>) built through the system (POST /api/v1/builds ->
/// the record says succeeded: broker, worker queue, packing, the engine's classic builder) against <c>docker build</c>
/// of the same directory by the CLI with the same builder and limits (<c>DOCKER_BUILDKIT=0</c>, <c>--network none</c>,
/// memory, CPU, and the worker's five labels, each of which the classic builder runs as a step of its own), cold and
/// cached, interleaved in one run. Cold: every image of the context removed first (ours and the
/// CLI's, so no step is cached but the local base image); cached: the same build again at once. Target: within 1.1x.
/// </summary>
public static class BuildBenchmark
{
    private const string Context = "hello-web";
    private const string RawRepository = "bench-raw/hello-web";

    public static async Task RunAsync(BenchContext context, ResultTable table)
    {
        var options = context.Options;
        await using var system = await SystemUnderTest.StartAsync(context, "b", withWorker: true);
        var docker = system.Parts.Docker;
        var directory = Path.Combine(context.RepoRoot, "src", "Messaging.Worker", "build-contexts", Context);
        using var _ = context.OnCleanup("images of the build benchmark", () => RemoveImagesAsync(docker, CancellationToken.None));
        var serial = 0;

        async Task<double> ViaApi(string greeting)
        {
            var started = Clock.Now;
            using var response = await system.Http.PostAsJsonAsync("/api/v1/builds",
                new { context = Context, args = new Dictionary<string, string> { ["GREETING"] = greeting } }, context.Cancel);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"POST /api/v1/builds answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(context.Cancel)}");
            var buildId = (await response.Content.ReadFromJsonAsync<JsonElement>(context.Cancel)).GetProperty("build_id").GetGuid();
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (true)
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"Build {buildId} did not end in 3 minutes.");
                var record = await system.Http.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{buildId}", context.Cancel);
                var status = record.GetProperty("status").GetString();
                if (status == "succeeded")
                    return Clock.MsSince(started);
                if (status == "failed")
                    throw new InvalidOperationException($"Build {buildId} failed: {record.GetProperty("failure")}");
                await Task.Delay(20, context.Cancel);
            }
        }

        async Task<double> ViaCli(string greeting)
        {
            var started = Clock.Now;
            var cli = new ProcessStartInfo("docker")
            {
                ArgumentList =
                {
                    "build", "-q", "--network", "none", "--memory", "256m", "--memory-swap", "256m", "--cpu-period", "100000",
                    "--cpu-quota", "100000", "--rm", "--force-rm", "--build-arg", $"GREETING={greeting}",
                    // The worker's five labels, so both builds run the same steps: the classic builder adds one LABEL step
                    // (a container and a commit, ~0.2 s here) per label.
                    "--label", "messaging.managed=true", "--label", "messaging.instance=bench-raw", "--label", "messaging.owner=bench-token",
                    "--label", "messaging.build-context=hello-web", "--label", $"messaging.build-id={Guid.NewGuid():D}", "-t", $"{RawRepository}:{Interlocked.Increment(ref serial)}", directory,
                },
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            cli.Environment["DOCKER_BUILDKIT"] = "0";
            using var process = Process.Start(cli)!;
            var stderr = process.StandardError.ReadToEndAsync(context.Cancel);
            await process.StandardOutput.ReadToEndAsync(context.Cancel);
            await process.WaitForExitAsync(context.Cancel);
            var elapsed = Clock.MsSince(started);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"docker build exited {process.ExitCode}: {await stderr}");
            return elapsed;
        }

        BenchContext.Log("build: warm-up, one build each way");
        await RemoveImagesAsync(docker, context.Cancel);
        await ViaApi("warm up api");
        await ViaCli("warm up cli");

        var n = options.BuildTrials;
        BenchContext.Log($"build: {n} trials of cold + cached, via the API and via docker build, interleaved (load {BenchContext.LoadAverage()})");
        List<double> apiCold = [], apiCached = [], cliCold = [], cliCached = [];
        for (var i = 0; i < n; i++)
        {
            context.Cancel.ThrowIfCancellationRequested();
            async Task Api()
            {
                await RemoveImagesAsync(docker, context.Cancel);
                var greeting = $"api trial {i}";
                apiCold.Add(await ViaApi(greeting));
                apiCached.Add(await ViaApi(greeting));
            }
            async Task Cli()
            {
                await RemoveImagesAsync(docker, context.Cancel);
                var greeting = $"cli trial {i}";
                cliCold.Add(await ViaCli(greeting));
                cliCached.Add(await ViaCli(greeting));
            }
            // Alternate who goes first.
            if (i % 2 == 0) { await Api(); await Cli(); }
            else { await Cli(); await Api(); }
        }

        var (ac, ah, cc, ch) = (new Stats(apiCold), new Stats(apiCached), new Stats(cliCold), new Stats(cliCached));
        table.Add(new ResultRow
        {
            Id = "build.cold.p50", Figure = "sample context build, cold, p50 (POST -> record succeeded)", Unit = "ms",
            Value = ac.P50, Baseline = cc.P50, BaselineName = "DOCKER_BUILDKIT=0 docker build of the same directory, same limits",
            TargetOn = "ratio", Target = 1.1, Direction = Better.Lower,
            Note = $"API p95 {ac.P95:F0} ms, docker build p95 {cc.P95:F0} ms; every image of the context removed before each",
        });
        table.Add(new ResultRow
        {
            Id = "build.cached.p50", Figure = "sample context build, every step cached, p50", Unit = "ms",
            Value = ah.P50, Baseline = ch.P50, BaselineName = "the same docker build again",
            TargetOn = "ratio", Target = 1.1, Direction = Better.Lower,
            Note = $"API p95 {ah.P95:F0} ms, docker build p95 {ch.P95:F0} ms",
        });
        table.Detail("build", new
        {
            trials = n,
            load = BenchContext.LoadAverage(),
            api_cold_ms = ac.Summary(), cli_cold_ms = cc.Summary(), api_cached_ms = ah.Summary(), cli_cached_ms = ch.Summary(),
            api_cold_samples_ms = apiCold.Select(s => Math.Round(s, 1)), cli_cold_samples_ms = cliCold.Select(s => Math.Round(s, 1)),
            api_cached_samples_ms = apiCached.Select(s => Math.Round(s, 1)), cli_cached_samples_ms = cliCached.Select(s => Math.Round(s, 1)),
        });
        BenchContext.Log($"build: cold api {ac} cli {cc}; cached api {ah} cli {ch}");
    }

    /// <summary>Every image of the sample context this run made: the worker's (instance bench) and the CLI's.</summary>
    private static async Task RemoveImagesAsync(Docker.DotNet.IDockerClient docker, CancellationToken cancel)
    {
        foreach (var label in new[] { "messaging.instance=bench", "messaging.instance=bench-raw" })
        {
            var images = await docker.Images.ListImagesAsync(new ImagesListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
            }, cancel);
            foreach (var image in images)
            {
                try { await docker.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true }, cancel); }
                catch (Docker.DotNet.DockerApiException) { } // already gone with another tag
            }
        }
    }
}
