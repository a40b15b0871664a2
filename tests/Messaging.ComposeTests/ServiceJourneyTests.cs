using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet;

namespace Messaging.ComposeTests;

/// <summary>What the journey learnt so far: each step reads what the ones before it found.</summary>
public sealed class ServiceJourney
{
    public string Name { get; } = $"ct-{DateTime.UtcNow:HHmmss}-{Random.Shared.Next(0x1000000):x6}";
    public Guid? ServiceId { get; set; }
    public JsonElement? Record { get; set; }

    public Guid RequireService() => ServiceId ?? throw new InvalidOperationException("No service: the POST step failed.");

    public JsonElement RequireRunning() => Record ?? throw new InvalidOperationException("The service never reached running.");
}

/// <summary>
/// The README's request through the stack, as a user makes it: the API on its published port accepts it,
/// the worker runs the container on a port of the configured range, it answers there, the audit host
/// records the command and the event, and DELETE removes it again.
/// </summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Compose"), Trait("Requires", "Docker")]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class ServiceJourneyTests(ComposeStack stack, ServiceJourney journey) : IClassFixture<ServiceJourney>
{
    [Step(1)]
    public async Task Health_ready_answers_200_on_the_published_port()
    {
        stack.RequireHealthy();
        using var api = stack.Api(withToken: false);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health/ready")).StatusCode);
    }

    [Step(2)]
    public async Task The_API_refuses_a_request_without_a_token()
    {
        stack.RequireHealthy();
        using var api = stack.Api(withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/services")).StatusCode);
    }

    [Step(3)]
    public async Task The_READMEs_create_request_is_accepted()
    {
        stack.RequireHealthy();
        using var api = stack.Api();
        using var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{journey.Name}}","image":"nginx:alpine","memory_limit":"128m","cpu_limit":0.5}""",
            System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST answered {(int)response.StatusCode}: {body}");
        journey.ServiceId = JsonDocument.Parse(body).RootElement.GetProperty("service_id").GetGuid();
    }

    [Step(4)]
    public async Task The_service_reaches_running()
    {
        var id = journey.RequireService();
        using var api = stack.Api();
        var status = "";
        JsonElement record = default;
        for (var attempt = 0; attempt < 90 && status is not ("running" or "failed"); attempt++)
        {
            if (attempt > 0)
                await Task.Delay(1000);
            record = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}");
            status = record.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "";
        }
        if (status != "running")
        {
            var worker = await Commands.RunAsync(Commands.DockerCli, ["logs", "--tail", "30", stack.Containers["worker"]], TimeSpan.FromSeconds(20));
            Assert.Fail($"status '{status}'; record {record}; worker log:\n{worker.Text}");
        }
        journey.Record = record;
    }

    [Step(5)]
    public void Its_host_port_is_in_the_configured_range()
    {
        var port = journey.RequireRunning().GetProperty("host_port").GetInt32();
        Assert.InRange(port, stack.PortsMin, stack.PortsMax);
    }

    [Step(6)]
    public async Task The_container_answers_on_its_host_port()
    {
        var port = journey.RequireRunning().GetProperty("host_port").GetInt32();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var page = "";
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                page = await http.GetStringAsync($"http://127.0.0.1:{port}/");
                if (page.Contains(ComposeStack.ExpectedPage))
                    break;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                page = e.Message;
            }
            await Task.Delay(500);
        }
        Assert.Contains(ComposeStack.ExpectedPage, page);
    }

    [Step(7)]
    public async Task The_container_carries_the_instance_label_and_its_service_id_on_the_proxy_network()
    {
        var containerId = journey.RequireRunning().GetProperty("container_id").GetString()!;
        var inspect = await stack.Docker.Containers.InspectContainerAsync(containerId);
        var labels = new Dictionary<string, string>(inspect.Config?.Labels ?? new Dictionary<string, string>());
        Assert.Equal(ComposeStack.Instance, labels.GetValueOrDefault("messaging.instance"));
        Assert.Equal(journey.RequireService().ToString(), labels.GetValueOrDefault("messaging.service-id"));
        Assert.Equal([ComposeStack.ProxyNetwork], inspect.NetworkSettings?.Networks?.Keys ?? []);
    }

    /// <summary>The audit host records the command (from the API) and the event (from the worker) on its own queue.</summary>
    [Step(8)]
    public async Task Its_events_hold_the_audit_hosts_CreateService_and_ServiceCreated()
    {
        var id = journey.RequireService();
        using var api = stack.Api();
        string[] types = [];
        for (var attempt = 0; attempt < 30 && !(types.Contains("CreateService") && types.Contains("ServiceCreated")); attempt++)
        {
            if (attempt > 0)
                await Task.Delay(1000);
            var page = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events?limit=200");
            types = [.. page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("type").GetString()!)];
        }
        Assert.Contains("CreateService", types);
        Assert.Contains("ServiceCreated", types);
    }

    [Step(9)]
    public async Task Delete_is_accepted_and_the_service_ends_removed_with_its_container_gone()
    {
        var id = journey.RequireService();
        var containerId = journey.RequireRunning().GetProperty("container_id").GetString()!;
        using var api = stack.Api();
        Assert.Equal(HttpStatusCode.Accepted, (await api.DeleteAsync($"/api/v1/services/{id}")).StatusCode);
        var status = "";
        for (var attempt = 0; attempt < 60 && status != "removed"; attempt++)
        {
            if (attempt > 0)
                await Task.Delay(1000);
            status = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}")).GetProperty("status").GetString();
        }
        Assert.Equal("removed", status);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => stack.Docker.Containers.InspectContainerAsync(containerId));
    }
}
