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
        // Each in the request's trace. A span is exported when it ends, on the thread that ends it, which may be after
        // the event reached the test (a CI run once took its snapshot with the reservation's span not in yet): wait.
        await WaitForSpan(s => s.TraceId == request.TraceId && s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && s.DisplayName.Contains("CreateService"));
        await WaitForSpan(s => s.TraceId == request.TraceId && s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && s.DisplayName.StartsWith(CommandQueues.CreateService, StringComparison.Ordinal));
        await WaitForSpan(s => s.TraceId == request.TraceId && s.Source.Name == "Messaging.State" && s.DisplayName == "reserve port and name");
        await WaitForSpan(s => s.TraceId == request.TraceId && s.Source.Name == "Messaging.Worker" && s.DisplayName == "docker Create");
        await WaitForSpan(s => s.TraceId == request.TraceId && s.Source.Name == "Messaging.Worker" && s.DisplayName == "docker Start");
        await WaitForSpan(s => s.TraceId == request.TraceId && s.Kind == ActivityKind.Producer && s.DisplayName.Contains("ServiceCreated"));
        // Connected: every span but the request's own has its parent in the same trace. A span is exported when it
        // ends, so a child (the audit host's append) can be in before its parent (the consume around it): wait.
        await Eventually(() =>
        {
            var spans = system.Spans.Snapshot().Where(s => s.TraceId == request.TraceId).ToList();
            var ids = spans.Select(s => s.SpanId).ToHashSet();
            return spans.Where(s => s.SpanId != request.SpanId).All(s => ids.Contains(s.ParentSpanId));
        }, "every span of the trace has its parent in it");
    }

    [Fact]
    public async Task The_trace_of_a_creation_reaches_the_audit_hosts_append_and_the_webhook_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 200);
        using var admin = system.Api();
        var subscribed = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, event_types = new[] { nameof(ServiceCreated) } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        var subscription = (await subscribed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details").GetProperty("id").GetString();
        try
        {
            using var api = system.Api(SystemFixture.AliceToken);
            var name = $"it-audit-trace-{Guid.NewGuid():N}"[..24];
            var response = await api.PostAsync("/api/v1/services", new StringContent(
                $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
            await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id);

            // This creation's trace, found through the worker's reservation span (it names the service).
            var reservation = await WaitForSpan(s => s.DisplayName == "reserve port and name" && Tag(s, "messaging.service_id") == id.ToString("D"));
            var request = await WaitForSpan(s => s.TraceId == reservation.TraceId && s.Kind == ActivityKind.Server
                                                 && s.DisplayName.StartsWith("POST /api/v1/services", StringComparison.Ordinal));

            var append = await WaitForSpan(s => s.TraceId == request.TraceId && s.Source.Name == "Messaging.Audit"
                                                && s.DisplayName == "audit append" && Tag(s, "messaging.message_type") == nameof(ServiceCreated));
            var delivery = await WaitForSpan(s => s.TraceId == request.TraceId && s.Source.Name == "Messaging.Audit"
                                                  && s.DisplayName == "webhook deliver" && Tag(s, "messaging.message_type") == nameof(ServiceCreated));
            Assert.Equal(subscription, Tag(delivery, "messaging.webhook.subscription"));
            Assert.Equal(ActivityStatusCode.Unset, delivery.Status);
            Assert.Contains(system.Spans.Snapshot(), s => s.TraceId == request.TraceId && s.Source.Name == "Messaging.Audit"
                                                          && s.DisplayName == "audit append" && Tag(s, "messaging.message_type") == nameof(CreateService));
            await Eventually(() => DescendsFrom(append, request) && DescendsFrom(delivery, request),
                "the append and the delivery descend from the POST's span");

            // The trace stays inside: the receiver, another party, gets no traceparent of ours.
            var received = Assert.Single(receiver.Received, r =>
                JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("service_id").GetGuid() == id);
            Assert.True(string.IsNullOrEmpty(received.TraceParent), $"The delivery carried traceparent {received.TraceParent}.");
        }
        finally
        {
            await admin.DeleteAsync($"/api/v1/webhooks/{subscription}");
        }
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();

    /// <summary>Whether following the parents of <paramref name="span"/> through the exported spans reaches <paramref name="ancestor"/>.</summary>
    private bool DescendsFrom(Activity span, Activity ancestor)
    {
        var byId = system.Spans.Snapshot().Where(s => s.TraceId == ancestor.TraceId).GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
            if (parent.SpanId == ancestor.SpanId)
                return true;
        return false;
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Not within 20 s: {what}.");
            await Task.Delay(100);
        }
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
