using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Testing;

namespace Messaging.ComposeTests.Upgrade;

/// <summary>A service container of the stack's instance, as the engine lists it.</summary>
public sealed record ServiceContainer(string Id, Guid ServiceId, string ServiceName, bool Running, int? HostPort);

/// <summary>
/// What the stack holds at one moment, read from outside as an operator could: the engine's service containers
/// (label <c>messaging.instance</c>), Redis's reservation hashes (<c>ports</c>, <c>service-ports</c>, <c>names</c>, read
/// with redis-cli in the Redis container as the worker's user) and the broker's queues (management API, the operator's user).
/// </summary>
public sealed class StackCensus
{
    public required IReadOnlyList<ServiceContainer> Containers { get; init; }
    /// <summary>port -> service id.</summary>
    public required IReadOnlyDictionary<string, string> Ports { get; init; }
    /// <summary>service id -> port.</summary>
    public required IReadOnlyDictionary<string, string> ServicePorts { get; init; }
    /// <summary>service name -> service id.</summary>
    public required IReadOnlyDictionary<string, string> Names { get; init; }
    /// <summary>queue name -> messages (ready and unacknowledged).</summary>
    public required IReadOnlyDictionary<string, long> Queues { get; init; }

    /// <summary>Messages in the error and skipped queues MassTransit keeps beside each endpoint.</summary>
    public long DeadMessages => Queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal) || q.Key.EndsWith("_skipped", StringComparison.Ordinal))
        .Sum(q => q.Value);

    public static async Task<StackCensus> TakeAsync(ComposeStack stack)
    {
        var prefix = stack.EnvValues.GetValueOrDefault("REDIS_KEY_PREFIX") ?? "messaging:";
        var containers = (await SystemCleanup.ContainersAsync(stack.Docker, ComposeStack.Instance))
            .Where(c => c.Labels.ContainsKey("messaging.service-id"))
            .Select(c => new ServiceContainer(c.ID, Guid.Parse(c.Labels["messaging.service-id"]),
                (c.Labels.TryGetValue("messaging.service-name", out var name) ? name : ""), c.State == "running",
                c.Ports?.FirstOrDefault(p => p.PublicPort > 0)?.PublicPort is { } port and > 0 ? port : null))
            .ToList();
        return new StackCensus
        {
            Containers = containers,
            Ports = await HashAsync(stack, prefix + "ports"),
            ServicePorts = await HashAsync(stack, prefix + "service-ports"),
            Names = await HashAsync(stack, prefix + "names"),
            Queues = await QueuesAsync(stack),
        };
    }

    private static async Task<Dictionary<string, string>> HashAsync(ComposeStack stack, string key)
    {
        var result = await Commands.ExecAsync(stack.ContainerOf("redis"), "redis-cli", "--no-auth-warning", "--user",
            ComposeStack.ProcessUser("worker"), "--pass", stack.Secret("redis-worker-password"), "--raw", "hgetall", key);
        Assert.True(result.Succeeded, $"HGETALL {key}: {result.Text}");
        var lines = result.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length % 2 == 0, $"HGETALL {key} answered an odd number of lines: {result.Text}");
        return Enumerable.Range(0, lines.Length / 2).ToDictionary(i => lines[2 * i], i => lines[2 * i + 1]);
    }

    private static async Task<Dictionary<string, long>> QueuesAsync(ComposeStack stack)
    {
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{stack.ManagementPort}"), Timeout = TimeSpan.FromSeconds(20) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ComposeStack.RabbitUser}:{stack.RabbitPassword}")));
        var queues = await management.GetFromJsonAsync<JsonElement>("/api/queues/%2F?columns=name,messages");
        return queues.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!,
            q => q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0);
    }
}
