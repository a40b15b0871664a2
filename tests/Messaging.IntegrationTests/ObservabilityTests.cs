using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.IntegrationTests;

[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class ObservabilityTests(SystemFixture system)
{
    [Fact]
    public async Task One_creation_is_one_trace_from_the_http_request_through_the_worker_to_the_event()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var name = $"it-trace-{Guid.NewGuid():N}"[..24];
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id);

        var request = await WaitForSpan(s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST /api/v1/services", StringComparison.Ordinal)
                                             && s.Duration > TimeSpan.Zero && TraceHasConsumeOf(s.TraceId, CommandQueues.CreateService));
        var trace = system.Spans.Snapshot().Where(s => s.TraceId == request.TraceId).ToList();

        Assert.Contains(trace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && s.DisplayName.Contains("CreateService"));
        Assert.Contains(trace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && s.DisplayName.StartsWith(CommandQueues.CreateService, StringComparison.Ordinal));
        Assert.Contains(trace, s => s.Source.Name == "Messaging.Worker" && s.DisplayName == "reserve port and name");
        Assert.Contains(trace, s => s.Source.Name == "Messaging.Worker" && s.DisplayName == "docker Create");
        Assert.Contains(trace, s => s.Source.Name == "Messaging.Worker" && s.DisplayName == "docker Start");
        await WaitForSpan(s => s.TraceId == request.TraceId && s.Kind == ActivityKind.Producer && s.DisplayName.Contains("ServiceCreated"));
        // Connected: every span but the request's own has its parent in the same trace.
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        Assert.All(trace.Where(s => s != request), s => Assert.Contains(s.ParentSpanId, ids));
    }

    private bool TraceHasConsumeOf(ActivityTraceId traceId, string queue) =>
        system.Spans.Snapshot().Any(s => s.TraceId == traceId && s.Kind == ActivityKind.Consumer && s.DisplayName.StartsWith(queue, StringComparison.Ordinal));

    private async Task<Activity> WaitForSpan(Func<Activity, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var found = system.Spans.Snapshot().FirstOrDefault(match);
            if (found is not null)
                return found;
            await Task.Delay(100);
        }
        throw new TimeoutException("The expected span was not exported. Spans: " +
            string.Join("; ", system.Spans.Snapshot().Where(s => s.Kind == ActivityKind.Server).Select(s => $"{s.Source.Name}/{s.Kind}/{s.DisplayName}/{s.TraceId}")));
    }

    [Fact]
    public async Task No_token_ever_appears_in_the_logs()
    {
        using var admin = system.Api();
        var created = await admin.PostAsync("/api/v1/tokens", new StringContent(
            """{"name":"log-check","scopes":["services:read","services:write"]}""", Encoding.UTF8, "application/json"));
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        using (var client = system.Api(secret))
        {
            await client.GetAsync("/api/v1/services");
            await client.PostAsync("/api/v1/services", new StringContent("""{"service_name":"x"}""", Encoding.UTF8, "application/json"));
        }
        using (var wrong = system.Api(secret + "x"))
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/services")).StatusCode);

        var lines = system.LogLines;
        Assert.NotEmpty(lines);
        foreach (var token in new[] { secret, SystemFixture.Token, SystemFixture.AliceToken, SystemFixture.BobToken, SystemFixture.ReaderToken })
            Assert.DoesNotContain(lines, line => line.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_log_lines_of_a_creation_carry_service_id_command_id_and_trace_id()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var name = $"it-logs-{Guid.NewGuid():N}"[..24];
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id);

        var line = Assert.Single(system.LogLines, l => l.Contains($"Service {name} runs in", StringComparison.Ordinal));
        Assert.Contains($"ServiceId={id}", line);
        Assert.Contains("CommandId=", line);
        Assert.Contains("TraceId=", line);
    }
}
