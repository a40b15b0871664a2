using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Messaging.State.Webhooks;
using Messaging.Validation.Webhooks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Messaging.Audit.Notifications;

/// <summary>
/// The HTTP client deliveries go through: retries with exponential backoff and jitter (Polly, through
/// Microsoft.Extensions.Http.Resilience), a timeout per attempt, no redirects, no proxy, and a connection
/// step that checks each resolved address against <see cref="WebhookAddressPolicy"/> (a name that resolved
/// to a public address at subscription time may resolve to the metadata address now).
/// </summary>
public static class WebhookHttpClient
{
    public const string Name = "webhooks";

    /// <summary>Per request: how many attempts the retry strategy made (counted below it).</summary>
    public static readonly HttpRequestOptionsKey<StrongBox<int>> Attempts = new("messaging.webhook.attempts");

    public static IServiceCollection AddWebhookHttpClient(this IServiceCollection services)
    {
        services.AddTransient<AttemptCounter>();
        var client = services.AddHttpClient(Name, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => PolicyCheckedHandler(sp.GetRequiredService<WebhookAddressPolicy>()));
        client.AddResilienceHandler("webhook-delivery", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value;
            if (options.MaxAttempts > 1)
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    // Defaults handle 5xx, 408, 429, connection errors and attempt timeouts.
                    MaxRetryAttempts = options.MaxAttempts - 1,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.FirstRetryDelay,
                    MaxDelay = TimeSpan.FromMinutes(5),
                    // A receiver must not be able to park a delivery slot for hours with Retry-After.
                    ShouldRetryAfterHeader = false,
                });
            pipeline.AddTimeout(options.AttemptTimeout);
        });
        // Added after the resilience handler, so it sits below it and sees every attempt.
        client.AddHttpMessageHandler<AttemptCounter>();
        return services;
    }

    private static SocketsHttpHandler PolicyCheckedHandler(WebhookAddressPolicy policy) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        // Our trace context stays inside: receivers are other parties, and our trace ids are no business of theirs.
        ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var allowed = addresses.Where(address => policy.CheckAddress(address) is null).ToArray();
            if (allowed.Length == 0)
                throw new HttpRequestException(addresses.Length == 0
                    ? $"Host {host} does not resolve."
                    : $"Refused by policy: {policy.CheckAddress(addresses[0])}");
            Exception? last = null;
            foreach (var address in allowed)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    last = e;
                }
            }
            throw last!;
        },
    };

    /// <summary>Counts the attempts of a request into its <see cref="Attempts"/> option.</summary>
    private sealed class AttemptCounter : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Options.TryGetValue(Attempts, out var attempts))
                Interlocked.Increment(ref attempts.Value);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
