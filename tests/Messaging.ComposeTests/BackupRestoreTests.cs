using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Messaging.Testing;
using Xunit.Abstractions;

namespace Messaging.ComposeTests;

/// <summary>What the backup journey learnt so far: the token, the services and what the API showed before the backup.</summary>
public sealed class BackupJourney
{
    public string Prefix { get; } = $"bk-{Random.Shared.Next(0x1000000):x6}";
    public string? TokenId { get; set; }
    public string? Token { get; set; }
    /// <summary>Running at the backup and kept.</summary>
    public Guid? Kept { get; set; }
    /// <summary>Running at the backup, removed after it: gone from the engine when the backup comes back.</summary>
    public Guid? RemovedAfter { get; set; }
    /// <summary>Created after the backup: a container the backup knows nothing of.</summary>
    public Guid? CreatedAfter { get; set; }
    public string? BackupFolder { get; set; }
    public Dictionary<Guid, JsonElement> ServicesAtBackup { get; set; } = [];
    public HashSet<string> TokensAtBackup { get; set; } = [];
    public HashSet<string> AuditAtBackup { get; set; } = [];
    public bool Restored { get; set; }

    public string RequireToken() => Token ?? throw new InvalidOperationException("No token: the first step failed.");
    public string RequireBackup() => BackupFolder ?? throw new InvalidOperationException("No backup: the backup step failed.");
    public void RequireRestored() => Assert.True(Restored, "The restore step failed.");
}

/// <summary>
/// Issue 21 item 3: infra/backup.sh while services run, then <c>down -v</c> (the stack's volumes gone: Redis, the
/// broker, Caddy's storage; the service containers, which are the worker's, keep running), then infra/restore.sh.
/// Every service, token, quota usage and audit entry of the backup is back, and the reconciler makes the records agree
/// with the engine about what changed after the backup: a service removed since is <c>failed</c> (its container
/// disappeared), one created since is adopted from its container's labels, and the owner's usage counts exactly the
/// services that run. Afterwards the stack is up again for the tests that follow (new container ids).
/// Category <c>Backup</c>, not <c>Compose</c>: the restore alone takes about two minutes, which the default CI run
/// (under 20 minutes) cannot spare. Run it: <c>flock /work/it.lock bash infra/compose-test.sh --filter Category=Backup</c>.
/// </summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Backup"), Trait("Requires", "Docker")]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class BackupRestoreTests(ComposeStack stack, BackupJourney journey, ITestOutputHelper output) : IClassFixture<BackupJourney>
{
    private const string Memory = "64m";
    private const long MemoryBytes = 64L << 20;

    [Step(1)]
    public async Task A_token_with_a_quota_of_two_runs_two_services()
    {
        stack.RequireHealthy();
        using var admin = stack.Api();
        using var created = await admin.PostAsJsonAsync("/api/v1/tokens", new Dictionary<string, object>
        {
            ["name"] = journey.Prefix, ["scopes"] = new[] { "services:read", "services:write" }, ["max_services"] = 2,
        });
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"POST /tokens answered {(int)created.StatusCode}: {body}");
        var token = JsonDocument.Parse(body).RootElement;
        journey.Token = token.GetProperty("token").GetString();
        journey.TokenId = token.GetProperty("details").GetProperty("id").GetString();

        using var owner = OwnerClient();
        journey.Kept = await CreateAsync(owner, "kept");
        journey.RemovedAfter = await CreateAsync(owner, "removed");
        await WaitStatusAsync(journey.Kept.Value, "running");
        await WaitStatusAsync(journey.RemovedAfter.Value, "running");
        // The audit host records the event after the worker published it: wait, so the backup holds both entries.
        foreach (var id in new[] { journey.Kept.Value, journey.RemovedAfter.Value })
            await WaitForEventAsync(id, "ServiceCreated");
    }

    [Step(2)]
    public async Task Backup_writes_the_redis_snapshot_the_broker_definitions_and_caddys_storage()
    {
        journey.RequireToken();
        using var admin = stack.Api();
        journey.ServicesAtBackup = await ServicesAsync(admin);
        journey.TokensAtBackup = await TokensAsync(admin);
        journey.AuditAtBackup = await AuditIdsAsync(admin);

        var result = await stack.RunInfraScriptAsync("backup.sh", ["-o", Path.Combine(stack.LogDirectory, "backups")],
            TimeSpan.FromMinutes(3), "compose-test-backup.log");
        Assert.True(result.Succeeded, result.Text);
        var folder = result.Text.Split('\n').Last().Trim();
        output.WriteLine(result.Text);
        foreach (var file in new[] { "manifest.txt", "SHA256SUMS", "redis/dump.rdb", "rabbitmq/definitions.json", "edge/edge-data.tar" })
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} is missing from {folder}");
        var manifest = File.ReadAllLines(Path.Combine(folder, "manifest.txt"));
        Assert.Contains($"project={stack.Project}", manifest);
        Assert.True(int.Parse(manifest.Single(l => l.StartsWith("redis_keys=")).Split('=')[1]) > 10, string.Join('\n', manifest));
        // The processes' queues and users are in the definitions (MassTransit declares the queues; compose-broker.sh the users).
        var definitions = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "rabbitmq", "definitions.json"))).RootElement;
        Assert.Contains("create-service", definitions.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()));
        Assert.Contains(ComposeStack.ProcessUser("worker"), definitions.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("name").GetString()));
        Assert.Contains(journey.Kept!.Value, journey.ServicesAtBackup.Keys);
        Assert.Contains(journey.TokenId!, journey.TokensAtBackup);
        journey.BackupFolder = folder;
    }

    [Step(3)]
    public async Task After_the_backup_one_service_goes_another_comes_and_down_v_destroys_the_volumes()
    {
        journey.RequireBackup();
        using var owner = OwnerClient();
        Assert.Equal(HttpStatusCode.Accepted, (await owner.DeleteAsync($"/api/v1/services/{journey.RemovedAfter}")).StatusCode);
        await WaitStatusAsync(journey.RemovedAfter!.Value, "removed");
        journey.CreatedAfter = await CreateAsync(owner, "after");
        await WaitStatusAsync(journey.CreatedAfter.Value, "running");

        var down = await stack.ComposeAsync(["down", "-v", "-t", "10"], TimeSpan.FromMinutes(3), "compose-test-down.log");
        Assert.True(down.Succeeded, down.Text);
        var volumes = await stack.Docker.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"com.docker.compose.project={stack.Project}"] = true },
            },
        });
        Assert.Empty(volumes.Volumes ?? []);
        // The service containers are the worker's, not compose's: down leaves them running.
        var running = (await ServiceContainersAsync()).Where(c => c.State == "running").Select(ServiceIdOf).ToHashSet();
        Assert.Contains(journey.Kept!.Value, running);
        Assert.Contains(journey.CreatedAfter.Value, running);
    }

    [Step(4)]
    public async Task Restore_brings_the_stack_back_healthy()
    {
        var folder = journey.RequireBackup();
        var refused = await stack.RunInfraScriptAsync("restore.sh", [folder], TimeSpan.FromMinutes(1), "compose-test-restore.log");
        Assert.Equal(2, refused.ExitCode); // without --yes it only says what it would delete

        var result = await stack.RunInfraScriptAsync("restore.sh", ["--yes", folder], TimeSpan.FromMinutes(8), "compose-test-restore.log");
        output.WriteLine(result.Text);
        await stack.WaitHealthyAgainAsync();
        Assert.True(result.Succeeded, result.Text);
        stack.RequireHealthy();
        journey.Restored = true;
    }

    [Step(5)]
    public async Task Every_service_and_token_of_the_backup_is_back_and_the_tokens_secret_still_works()
    {
        journey.RequireRestored();
        using var admin = stack.Api();
        var services = await ServicesAsync(admin);
        foreach (var (id, before) in journey.ServicesAtBackup)
        {
            Assert.True(services.TryGetValue(id, out var after), $"service {id} ({before.GetProperty("service_name")}) is not back");
            if (id == journey.RemovedAfter)
                continue; // its container went after the backup: the next step
            foreach (var field in new[] { "service_name", "owner", "status", "container_id", "host_port", "memory_limit" })
                Assert.Equal(before.GetProperty(field).ToString(), after.GetProperty(field).ToString());
        }
        var tokens = await TokensAsync(admin);
        Assert.Empty(journey.TokensAtBackup.Except(tokens));
        using var owner = OwnerClient();
        var own = await ServicesAsync(owner);
        Assert.Contains(journey.Kept!.Value, own.Keys);
    }

    [Step(6)]
    public async Task Every_audit_entry_of_the_backup_is_back()
    {
        journey.RequireRestored();
        using var admin = stack.Api();
        var after = await AuditIdsAsync(admin);
        var missing = journey.AuditAtBackup.Except(after).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {journey.AuditAtBackup.Count} audit entries are not back, e.g. {string.Join(", ", missing.Take(5))}");
        Assert.True(journey.AuditAtBackup.Count >= 4, $"only {journey.AuditAtBackup.Count} entries were backed up");
    }

    /// <summary>
    /// The engine is the truth: the service removed after the backup is back as failed (its container disappeared, port
    /// and quota freed), the one created after it is adopted from its labels, and every container of the instance
    /// and every running record name each other.
    /// </summary>
    [Step(7)]
    public async Task The_reconciler_makes_the_records_agree_with_the_engine()
    {
        journey.RequireRestored();
        using var admin = stack.Api();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        List<string> disagreements;
        do
        {
            disagreements = await DisagreementsAsync(admin);
            if (disagreements.Count == 0)
                break;
            await Task.Delay(2000);
        } while (DateTime.UtcNow < deadline);
        Assert.True(disagreements.Count == 0, string.Join('\n', disagreements));

        var removed = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/services/{journey.RemovedAfter}");
        Assert.Equal("failed", removed.GetProperty("status").GetString());
        Assert.Contains("disappeared", removed.GetProperty("failure").GetProperty("message").GetString());
        var adopted = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/services/{journey.CreatedAfter}");
        Assert.Equal("running", adopted.GetProperty("status").GetString());
        Assert.Equal(journey.TokenId, adopted.GetProperty("owner").GetString());
    }

    [Step(8)]
    public async Task The_owners_quota_usage_counts_the_two_running_services_and_a_third_is_refused()
    {
        journey.RequireRestored();
        var usage = await UsageAsync(journey.TokenId!);
        Assert.Equal("2", usage.GetValueOrDefault("services"));
        Assert.Equal((2 * MemoryBytes).ToString(), usage.GetValueOrDefault("memory_bytes"));
        using var owner = OwnerClient();
        using var refused = await owner.PostAsync("/api/v1/services", Body($"{journey.Prefix}-third"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
    }

    [Step(9)]
    public async Task Clean_up_the_journeys_services()
    {
        using var admin = stack.Api();
        foreach (var id in new[] { journey.Kept, journey.CreatedAfter }.OfType<Guid>())
            await admin.DeleteAsync($"/api/v1/services/{id}");
        foreach (var id in new[] { journey.Kept, journey.CreatedAfter }.OfType<Guid>())
            await WaitStatusAsync(id, "removed");
        Directory.Delete(journey.RequireBackup(), recursive: true);
    }

    private HttpClient OwnerClient()
    {
        var client = stack.Api(withToken: false);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", journey.RequireToken());
        return client;
    }

    private static StringContent Body(string name) => new(
        $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"{{Memory}}","cpu_limit":0.25}""", Encoding.UTF8, "application/json");

    private async Task<Guid> CreateAsync(HttpClient client, string suffix)
    {
        using var response = await client.PostAsync("/api/v1/services", Body($"{journey.Prefix}-{suffix}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("service_id").GetGuid();
    }

    private async Task<JsonElement> WaitStatusAsync(Guid id, string wanted)
    {
        using var admin = stack.Api();
        var record = default(JsonElement);
        for (var attempt = 0; attempt < 90; attempt++)
        {
            record = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}");
            var status = record.GetProperty("status").GetString();
            if (status == wanted)
                return record;
            if (status == "failed" && wanted != "failed")
                break;
            await Task.Delay(1000);
        }
        Assert.Fail($"service {id} did not reach {wanted}: {record}");
        return record;
    }

    private async Task WaitForEventAsync(Guid id, string type)
    {
        using var admin = stack.Api();
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events?limit=200");
            if (page.GetProperty("items").EnumerateArray().Any(item => item.GetProperty("type").GetString() == type))
                return;
            await Task.Delay(1000);
        }
        Assert.Fail($"no {type} in the audit trail of {id}");
    }

    /// <summary>Every record the caller sees, by id, across pages.</summary>
    private static async Task<Dictionary<Guid, JsonElement>> ServicesAsync(HttpClient client)
    {
        var all = new Dictionary<Guid, JsonElement>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/v1/services?limit=200{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}");
            foreach (var item in page.GetProperty("items").EnumerateArray())
                all[item.GetProperty("service_id").GetGuid()] = item.Clone();
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        } while (cursor is not null);
        return all;
    }

    private static async Task<HashSet<string>> TokensAsync(HttpClient admin) =>
        [.. (await admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens")).GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetString()!)];

    private static async Task<HashSet<string>> AuditIdsAsync(HttpClient admin)
    {
        var ids = new HashSet<string>();
        string? cursor = null;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?limit=200{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}");
            foreach (var item in page.GetProperty("items").EnumerateArray())
                ids.Add(item.GetProperty("id").GetString()!);
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        } while (cursor is not null);
        return ids;
    }

    private Task<IList<ContainerListResponse>> ServiceContainersAsync() => SystemCleanup.ContainersAsync(stack.Docker, ComposeStack.Instance);

    private static Guid ServiceIdOf(ContainerListResponse container) => Guid.Parse(container.Labels["messaging.service-id"]);

    /// <summary>What the records and the engine disagree about: empty when they agree.</summary>
    private async Task<List<string>> DisagreementsAsync(HttpClient admin)
    {
        var records = await ServicesAsync(admin);
        var containers = (await ServiceContainersAsync()).Where(c => c.Labels.ContainsKey("messaging.service-id")).ToList();
        var problems = new List<string>();
        foreach (var container in containers)
        {
            var id = ServiceIdOf(container);
            if (!records.TryGetValue(id, out var record))
            {
                problems.Add($"container {container.ID[..12]} of service {id} has no record");
                continue;
            }
            var status = record.GetProperty("status").GetString();
            if (record.GetProperty("container_id").ToString() != container.ID)
                problems.Add($"{id}: the record names container {record.GetProperty("container_id")}, the engine has {container.ID[..12]}");
            if (container.State == "running" && status != "running")
                problems.Add($"{id}: its container runs, the record says {status}");
            var published = container.Ports?.FirstOrDefault(p => p.PublicPort > 0)?.PublicPort;
            if (published is { } port && record.GetProperty("host_port").ToString() != port.ToString())
                problems.Add($"{id}: published on {port}, the record says {record.GetProperty("host_port")}");
        }
        var withContainer = containers.Select(ServiceIdOf).ToHashSet();
        foreach (var (id, record) in records.Where(r => r.Value.GetProperty("status").GetString() is "running" or "stopped" or "crash_looping"))
        {
            if (!withContainer.Contains(id))
                problems.Add($"{id}: the record says {record.GetProperty("status")}, the engine has no container");
        }
        return problems;
    }

    /// <summary>The owner's usage hash in Redis, read as the API's user (which may read usage:*).</summary>
    private async Task<Dictionary<string, string>> UsageAsync(string owner)
    {
        var result = await Commands.ExecAsync(stack.ContainerOf("redis"), "redis-cli", "--no-auth-warning", "--user", ComposeStack.ProcessUser("api"),
            "--pass", stack.Secret("redis-api-password"), "--raw", "HGETALL", $"{stack.EnvValues["REDIS_KEY_PREFIX"]}usage:{owner}");
        Assert.True(result.Succeeded, result.Text);
        var lines = result.Text.Split('\n', StringSplitOptions.TrimEntries);
        return Enumerable.Range(0, lines.Length / 2).ToDictionary(i => lines[2 * i], i => lines[2 * i + 1]);
    }
}
