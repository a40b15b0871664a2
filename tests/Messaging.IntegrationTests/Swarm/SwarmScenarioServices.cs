using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// What the swarm fault scenarios do with services through the API: create many at once and wait for each outcome, read
/// their records, check each answers where its record says, remove them and wait until Swarm has let go of their tasks
/// (on the swarm whose manager is <paramref name="manager"/>).
/// </summary>
public sealed class SwarmScenarioServices(SystemFixture system, IDockerClient manager)
{
    /// <summary>Every service answers our test page on its record's host and port: the node its task runs on.</summary>
    public static async Task AssertEachAnswersWhereItsRecordSays(IEnumerable<ServiceRecord> records)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var record in records)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                try
                {
                    Assert.Contains("messaging test image", await http.GetStringAsync($"http://{record.Host}:{record.Port}/"));
                    break;
                }
                catch (Exception e) when ((e is HttpRequestException or TaskCanceledException) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
            }
        }
    }

    public sealed record ServiceRecord(Guid Id, string Status, string Host, int Port, string SwarmServiceId);

    public static async Task<List<ServiceRecord>> Records(HttpClient api, IEnumerable<Guid> services)
    {
        var records = new List<ServiceRecord>();
        foreach (var id in services)
        {
            var body = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}");
            records.Add(new ServiceRecord(id, body.GetProperty("status").GetString()!,
                body.TryGetProperty("host", out var host) && host.ValueKind == JsonValueKind.String ? host.GetString()! : "",
                // null for a creation that has not run (or failed): such a record never passes the scenarios' checks
                body.GetProperty("host_port").ValueKind == JsonValueKind.Number ? body.GetProperty("host_port").GetInt32() : 0,
                body.GetProperty("container_id").GetString() ?? ""));
        }
        return records;
    }

    public static string Name(string stem) => $"{stem}-{Guid.NewGuid():N}"[..20];

    public static async Task<Guid> Post(HttpClient api, string name, string cpus, string memory = "64m")
    {
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"{{memory}}","cpu_limit":{{cpus}}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
    }

    /// <summary>
    /// Posts <paramref name="count"/> creations, at most <paramref name="inFlight"/> without an outcome at a time (all at once
    /// by default), and waits for every one to be created; a failure fails the scenario (after removing what was made).
    /// </summary>
    public async Task<List<Guid>> CreateMany(HttpClient api, string stem, int count, string cpus, string memory = "64m", int? inFlight = null)
    {
        var ids = new List<Guid>();
        var slots = new SemaphoreSlim(inFlight ?? count);
        // 16 at once took 57-65 s here (a creation on Swarm takes about 13 s alone): 3 minutes for 16, and as much per 16 more.
        var minutes = 3 * Math.Max(1, (count + 15) / 16);
        var deadline = DateTime.UtcNow.AddMinutes(minutes);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
            {
                await slots.WaitAsync();
                try
                {
                    var id = await Post(api, Name(stem), cpus, memory);
                    lock (ids)
                        ids.Add(id);
                    while (system.Events.All<ServiceCreated>(e => e.ServiceId == id).Count == 0)
                    {
                        if (system.Events.All<ServiceCreationFailed>(e => e.ServiceId == id).FirstOrDefault() is { } failed)
                            throw new Xunit.Sdk.XunitException($"creation of {id} failed: {failed.Reason} {failed.Message}");
                        if (DateTime.UtcNow > deadline)
                            throw new Xunit.Sdk.XunitException($"no outcome for the creation of {id} within {minutes} minutes");
                        await Task.Delay(100);
                    }
                }
                finally
                {
                    slots.Release();
                }
            }));
        }
        catch
        {
            await RemoveMany(api, ids); // the next scenario needs the room
            throw;
        }
        return ids;
    }

    /// <summary>Whether each service has a task running, and meant to run (on <paramref name="nodeId"/> when given).</summary>
    public async Task<bool> AllRunning(IReadOnlyList<ServiceRecord> records, string? nodeId = null)
    {
        var tasks = await manager.Tasks.ListAsync(new TasksListParameters());
        return records.All(r => tasks.Any(t => t.ServiceID == r.SwarmServiceId && (nodeId is null || t.NodeID == nodeId)
            && t.Status?.State == TaskState.Running && t.DesiredState == TaskState.Running));
    }

    public async Task RemoveMany(HttpClient api, IReadOnlyList<Guid> services)
    {
        var swarmIds = (await Records(api, services)).Select(r => r.SwarmServiceId).ToHashSet();
        var commands = new List<Guid>();
        foreach (var id in services)
        {
            var response = await api.DeleteAsync($"/api/v1/services/{id}");
            if (response.StatusCode == HttpStatusCode.Accepted)
                commands.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid());
        }
        foreach (var command in commands)
            await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == command, TimeSpan.FromSeconds(90));
        // Swarm counts a removed service's tasks against their node until they are gone from its store: the next
        // scenario's creations would find no node with room ("insufficient resources") until then.
        var clock = Stopwatch.StartNew();
        while ((await manager.Tasks.ListAsync(new TasksListParameters())).Any(t => t.ServiceID is { } id && swarmIds.Contains(id)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "Swarm still lists tasks of the removed services after 60 s");
            await Task.Delay(250);
        }
    }
}
