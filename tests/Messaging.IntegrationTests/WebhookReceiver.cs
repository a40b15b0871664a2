using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Messaging.IntegrationTests;

/// <summary>One POST as a webhook receiver saw it, and what it answered.</summary>
public sealed record ReceivedWebhook(string DeliveryId, string? Timestamp, string? Signature, string? EventType, byte[] Body, int Answered,
    string? TraceParent = null);

/// <summary>
/// A webhook receiver on 127.0.0.1 and a free port (Kestrel, in the test process). It answers each attempt
/// of a delivery with the status <c>answer(attempt)</c> (attempt counts from 1 per delivery id), with an empty
/// body or, with <c>endlessBody</c>, a body that never ends (until the sender hangs up).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();
    public string Url { get; private set; } = "";

    private WebhookReceiver(Func<int, int> answer, bool endlessBody)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/hook", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            string delivery = http.Request.Headers["X-Messaging-Delivery"].ToString();
            var status = answer(_attempts.AddOrUpdate(delivery, 1, (_, n) => n + 1));
            Received.Enqueue(new ReceivedWebhook(delivery, http.Request.Headers["X-Messaging-Timestamp"], http.Request.Headers["X-Messaging-Signature"],
                http.Request.Headers["X-Messaging-Event"], body.ToArray(), status, http.Request.Headers.TraceParent));
            if (!endlessBody)
                return Results.StatusCode(status);
            http.Response.StatusCode = status;
            var chunk = new byte[64 * 1024];
            try
            {
                // Kestrel signals RequestAborted (writes may just stop failing) once the sender hangs up.
                while (!http.RequestAborted.IsCancellationRequested)
                    await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
            BodyAbandoned = true;
            return Results.Empty;
        });
    }

    /// <summary>Whether a sender hung up while an endless body was being written.</summary>
    public bool BodyAbandoned { get; private set; }

    public static async Task<WebhookReceiver> StartAsync(Func<int, int> answer, bool endlessBody = false)
    {
        var receiver = new WebhookReceiver(answer, endlessBody);
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    /// <summary>What was received for one delivery (one event), in order.</summary>
    public IReadOnlyList<ReceivedWebhook> For(string deliveryId) => [.. Received.Where(r => r.DeliveryId == deliveryId)];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
