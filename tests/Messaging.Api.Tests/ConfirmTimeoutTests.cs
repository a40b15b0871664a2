using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Api.Tests;

/// <summary>
/// The real RabbitMQ transport, whose publishes are held up after MassTransit has them on a channel, past a tiny
/// <c>Publishing:ConfirmTimeout</c>: the API cannot know whether the broker kept the command.
/// </summary>
public sealed class SlowConfirmApplication : ApiApplication
{
    protected override bool UseHarness => false;

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Publishing:ConfirmTimeout", "00:00:00.300");
        builder.ConfigureTestServices(services => services.AddPublishObserver<HoldingPublishObserver>());
    }

    /// <summary>Runs on the channel, just before the broker is handed the message; ignores cancellation on purpose.</summary>
    private sealed class HoldingPublishObserver : IPublishObserver
    {
        public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.Delay(TimeSpan.FromSeconds(1));
        public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;
        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}

[Trait("Requires", "Redis")]
[Trait("Requires", "RabbitMq")]
public sealed class ConfirmTimeoutTests(SlowConfirmApplication app) : IClassFixture<SlowConfirmApplication>
{
    // Not on any allowlist: should the broker have kept it, a worker listening on this machine refuses it.
    private static StringContent Body(string name) => new(
        $$"""{"service_name":"{{name}}","image":"confirm-timeout-test:never","memory_limit":"128m","cpu_limit":0.5}""",
        Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_confirm_timeout_after_the_hand_over_answers_outcome_unknown_and_keeps_the_record_pending_and_unconfirmed()
    {
        var client = app.ClientWith(ApiApplication.AliceToken);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/services") { Content = Body("unconfirmed-1") };
        request.Headers.Add("Idempotency-Key", "confirm-timeout-1");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Outcome unknown", problem.GetProperty("title").GetString());
        var serviceId = problem.GetProperty("service_id").GetGuid();
        Assert.Equal($"/api/v1/services/{serviceId}", problem.GetProperty("location").GetString());
        Assert.DoesNotContain("nothing was created", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Before the fix the record was deleted here, though a worker could still create the service.
        var record = await app.Services.GetRequiredService<ServiceRecordStore>().GetAsync(serviceId);
        Assert.NotNull(record);
        Assert.Equal(ServiceStatus.Pending, record.Status);
        Assert.True(record.Unconfirmed);
        var shown = await client.GetFromJsonAsync<JsonElement>($"/api/v1/services/{serviceId}");
        Assert.Equal("pending", shown.GetProperty("status").GetString());

        // A retry under the same key is answered the same, about the same service: no second attempt.
        var retry = new HttpRequestMessage(HttpMethod.Post, "/api/v1/services") { Content = Body("unconfirmed-1") };
        retry.Headers.Add("Idempotency-Key", "confirm-timeout-1");
        var again = await client.SendAsync(retry);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
        Assert.Equal(serviceId, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid());
    }

    [Fact]
    public async Task A_build_whose_confirm_times_out_stays_pending_and_marked_unconfirmed_for_the_workers_expiry()
    {
        var client = app.ClientWith(ApiApplication.BuilderToken);
        var response = await client.PostAsync("/api/v1/builds",
            new StringContent("""{"context":"confirm-timeout-never"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.DoesNotContain("nothing was created", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var builds = app.Services.GetRequiredService<Messaging.State.Builds.BuildStore>();
        var record = await builds.GetAsync((await builds.IdsAsync("builder", 1)).Single());
        Assert.Equal("confirm-timeout-never", record!.Context);
        Assert.Equal(BuildStatus.Pending, record.Status);
        Assert.True(record.Unconfirmed); // Builds:UnconfirmedPendingExpiry later fails it not_delivered (UndeliveredBuildsTests)
    }
}
