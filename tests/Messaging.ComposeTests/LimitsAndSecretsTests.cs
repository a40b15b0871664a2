using System.Globalization;
using Xunit.Abstractions;

namespace Messaging.ComposeTests;

/// <summary>
/// Issue 21 items 1-2: every container of the stack is bounded (memory without swap, CPUs, processes) with room above
/// what it uses, and no secret is visible in <c>docker inspect</c> of any of them: the admin token and the passwords
/// reach the processes only as compose secret files.
/// </summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Compose"), Trait("Requires", "Docker")]
public sealed class LimitsAndSecretsTests(ComposeStack stack, ITestOutputHelper output)
{
    /// <summary>The env file's variable prefix of a service's limits (docker-compose.yml).</summary>
    private static string Prefix(string service) => service.ToUpperInvariant().Replace('-', '_');

    [Fact]
    public async Task Every_container_is_bounded_in_memory_cpu_and_processes_with_headroom_above_what_it_uses()
    {
        stack.RequireHealthy();
        var usage = await MemoryInUseAsync();
        foreach (var service in ComposeStack.Services)
        {
            var host = (await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf(service))).HostConfig!;
            var limit = Bytes(stack.EnvValues[$"{Prefix(service)}_MEMORY_LIMIT"]);
            Assert.Equal(limit, host.Memory);
            Assert.Equal(host.Memory, host.MemorySwap); // no swap on top
            Assert.Equal((long)(double.Parse(stack.EnvValues[$"{Prefix(service)}_CPUS"], CultureInfo.InvariantCulture) * 1e9), host.NanoCPUs);
            // A number in docker-compose.yml (128-1024), not a setting: compose 1.29 cannot interpolate it.
            Assert.InRange(host.PidsLimit ?? 0, 128, 1024);
            var used = usage[stack.ContainerOf(service)];
            output.WriteLine($"{service}: {used / 1048576.0:F1} MiB in use of {limit / 1048576} MiB");
            // Half the limit at most while the suite runs: room for load (docs: the API and the worker grow by ~30-60 MB
            // with 200 services) before the kernel's OOM killer would step in.
            Assert.True(used < limit / 2, $"{service} uses {used / 1048576.0:F1} MiB of its {limit / 1048576} MiB");
        }
    }

    /// <summary>The broker's memory alarm (publishers blocked at 40%) counts against its container's limit, not the host's memory.</summary>
    [Fact]
    public async Task The_brokers_memory_alarm_is_set_below_its_container_limit()
    {
        stack.RequireHealthy();
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{stack.ManagementPort}"), Timeout = TimeSpan.FromSeconds(10) };
        management.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{ComposeStack.RabbitUser}:{stack.RabbitPassword}")));
        var node = (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(management, "/api/nodes"))[0];
        var alarmAt = node.GetProperty("mem_limit").GetInt64();
        var limit = Bytes(stack.EnvValues["RABBITMQ_MEMORY_LIMIT"]);
        Assert.InRange(alarmAt, limit / 4, limit / 2);
    }

    [Fact]
    public async Task No_secret_is_visible_in_docker_inspect_of_any_container()
    {
        stack.RequireHealthy();
        var secrets = Directory.EnumerateFiles(stack.SecretsDirectory)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .ToDictionary(f => Path.GetFileName(f), f => File.ReadLines(f).First().Trim());
        Assert.Contains("messaging-token", secrets.Keys);
        Assert.Equal(stack.Token, secrets["messaging-token"]); // the token the journey's requests use
        foreach (var service in ComposeStack.Services)
        {
            var inspect = await Commands.RunAsync(Commands.DockerCli, ["inspect", stack.ContainerOf(service)], TimeSpan.FromSeconds(30));
            Assert.True(inspect.Succeeded, inspect.Text);
            foreach (var (name, value) in secrets)
                Assert.False(inspect.Text.Contains(value, StringComparison.Ordinal), $"{name} is visible in docker inspect of {service}");
        }
        var api = (await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf("api"))).Config!.Env;
        Assert.Contains("Auth__BootstrapTokenFile=/run/secrets/messaging-token", api);
        Assert.DoesNotContain(api, e => e.StartsWith("Auth__BootstrapToken=", StringComparison.Ordinal));
    }

    /// <summary>Memory in use per container id (the cgroup's count, as <c>docker stats</c> shows it, without the page cache).</summary>
    private async Task<Dictionary<string, long>> MemoryInUseAsync()
    {
        var ids = ComposeStack.Services.Select(stack.ContainerOf).ToArray();
        var stats = await Commands.RunAsync(Commands.DockerCli,
            ["stats", "--no-stream", "--no-trunc", "--format", "{{.ID}};{{.MemUsage}}", .. ids], TimeSpan.FromSeconds(60));
        Assert.True(stats.Succeeded, stats.Text);
        return stats.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(';'))
            .ToDictionary(parts => parts[0], parts => Bytes(parts[1].Split('/')[0].Trim()));
    }

    /// <summary>"384m", "1g" (compose) or "45.3MiB", "1.2GiB", "900KiB", "12B" (docker stats) in bytes.</summary>
    private static long Bytes(string text)
    {
        var units = new (string Suffix, long Factor)[]
        {
            ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("kB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000),
            ("g", 1L << 30), ("m", 1L << 20), ("k", 1L << 10), ("B", 1), ("b", 1),
        };
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
                return (long)(double.Parse(text[..^suffix.Length], CultureInfo.InvariantCulture) * factor);
        }
        return long.Parse(text, CultureInfo.InvariantCulture);
    }
}
