using Docker.DotNet;
using Docker.DotNet.Models;

namespace Messaging.IntegrationTests.Builds;

/// <summary>
/// The build contexts of the integration tests, written to a temporary folder once per run, and the worker's
/// <c>Builds:Contexts</c> settings naming them (entry 0 is the shipped sample, <c>hello-web</c>, from appsettings.json).
/// Every base image is a local one (infra/build-test-images.sh): nothing is pulled.
/// </summary>
public sealed class BuildContextsForTests : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("messaging-it-contexts-").FullName;

    public BuildContextsForTests()
    {
        // A failing RUN that echoes a secret argument first: the log tail must show it masked.
        Write("it-fail", "FROM messaging-test/busybox:latest\nARG TOKEN\nRUN echo \"using token $TOKEN\" && echo about to fail && exit 3\n");
        // The operator's directory holds a symlink to /etc/shadow: refused before anything is sent.
        Write("it-shadow", "FROM messaging-test/busybox:latest\nCOPY . /ctx/\n");
        File.CreateSymbolicLink(Path.Combine(Root, "it-shadow", "shadow"), "/etc/shadow");
        // Connects to TARGET (host:port); the same directory is configured twice, network none and default (bridge).
        Write("it-net", "FROM messaging-test/busybox:latest\nARG TARGET_HOST\nARG TARGET_PORT\n" +
                        "RUN echo | nc -w 3 \"$TARGET_HOST\" \"$TARGET_PORT\" && echo reached the network\n");
        // tail holds the last 150 MB of its input in memory, under a 32 MB limit (pipefail: the step's status is tail's).
        Write("it-oom", "FROM messaging-test/busybox:latest\nRUN set -o pipefail; head -c 200000000 /dev/zero | tail -c 150000000 > /dev/null\n");
        // Takes a few seconds; NONCE makes each build a new one (no cache hit), so two of them queue.
        // Writes a line a second, quoting a secret argument: its lines must stream while it runs, masked (BuildLogStreamTests).
        Write("it-live", "FROM messaging-test/busybox:latest\nARG TOKEN\nARG NONCE\n" +
                         "RUN echo \"nonce $NONCE\"; for i in 1 2 3; do echo \"tick $i with $TOKEN\"; sleep 1; done\n");
        // Bounds (BuildBoundsTests): an image per NONCE, kept 1; a step that outlasts its timeout; a step that writes past the log cap.
        Write("it-prune", "FROM messaging-test/busybox:latest\nARG NONCE\nRUN echo \"$NONCE\" > /nonce\n");
        Write("it-timeout", "FROM messaging-test/busybox:latest\nARG NONCE\nRUN echo \"$NONCE\" && sleep 60\n");
        Write("it-chatty", "FROM messaging-test/busybox:latest\nARG NONCE\nRUN echo \"$NONCE\" && yes 0123456789abcdef0123456789abcdef | head -c 400000\n");
        // A step only this build makes (NONCE), then a failing one: the first step's image is what the failure leaves.
        Write("it-fail-layers", "FROM messaging-test/busybox:latest\nARG NONCE\nRUN echo \"$NONCE\" > /nonce\nRUN exit 3\n");
        Write("it-slow", "FROM messaging-test/busybox:latest\nARG NONCE\nRUN echo \"$NONCE\" > /nonce && sleep 2\n");
    }

    private void Write(string name, string dockerfile)
    {
        Directory.CreateDirectory(Path.Combine(Root, name));
        File.WriteAllText(Path.Combine(Root, name, "Dockerfile"), dockerfile);
    }

    /// <summary>The worker's settings for them, as entries 1 on (entry 0 is appsettings.json's hello-web).</summary>
    public Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>();
        var index = 1;
        void Context(string name, string directory, string network = "none", string memory = "128m", string timeout = "00:01:00",
            string? keepImages = null, string? maxLogSize = null, params (string Name, string? Pattern, bool Secret)[] args)
        {
            var at = $"Builds:Contexts:{index++}:";
            settings[at + "Name"] = name;
            settings[at + "Directory"] = Path.Combine(Root, directory);
            settings[at + "NetworkMode"] = network;
            settings[at + "Memory"] = memory;
            settings[at + "Timeout"] = timeout;
            if (keepImages is not null) settings[at + "KeepImages"] = keepImages;
            if (maxLogSize is not null) settings[at + "MaxLogSize"] = maxLogSize;
            settings[at + "Run:User"] = "101:101";
            settings[at + "Run:MaxMemory"] = "128m";
            for (var i = 0; i < args.Length; i++)
            {
                settings[$"{at}Args:{i}:Name"] = args[i].Name;
                settings[$"{at}Args:{i}:Pattern"] = args[i].Pattern;
                settings[$"{at}Args:{i}:Secret"] = args[i].Secret ? "true" : "false";
            }
        }
        Context("it-fail", "it-fail", args: ("TOKEN", "[A-Za-z0-9]{8,64}", true));
        Context("it-shadow", "it-shadow");
        Context("it-net", "it-net", args: [("TARGET_HOST", @"[0-9.]{7,15}", false), ("TARGET_PORT", "[0-9]{1,5}", false)]);
        Context("it-net-open", "it-net", network: "default", args: [("TARGET_HOST", @"[0-9.]{7,15}", false), ("TARGET_PORT", "[0-9]{1,5}", false)]);
        Context("it-oom", "it-oom", memory: "32m");
        Context("it-fail-layers", "it-fail-layers", args: ("NONCE", null, false));
        Context("it-slow", "it-slow", args: ("NONCE", null, false));
        Context("it-prune", "it-prune", keepImages: "1", args: ("NONCE", null, false));
        Context("it-timeout", "it-timeout", timeout: "00:00:03", args: ("NONCE", null, false));
        Context("it-chatty", "it-chatty", maxLogSize: "16k", args: ("NONCE", null, false));
        Context("it-live", "it-live", args: [("TOKEN", "[A-Za-z0-9]{8,64}", true), ("NONCE", null, false)]);
        return settings;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>Removes every image the tests' builds made (label messaging.instance=it-tests with a build context).</summary>
    public static async Task RemoveBuiltImagesAsync(IDockerClient docker)
    {
        var images = await docker.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { ["messaging.instance=it-tests"] = true, ["messaging.build-context"] = true },
            },
        });
        foreach (var image in images)
        {
            try { await docker.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true }); }
            catch (DockerApiException) { } // in use by a container another test still removes: the next run's clean-up takes it
        }
    }
}
