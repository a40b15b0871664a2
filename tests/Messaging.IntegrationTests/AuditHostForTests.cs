using Messaging.Audit;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.IntegrationTests;

/// <summary>
/// Starts the audit host (src/Messaging.Audit) in-process with its own appsettings.json, the fixture's
/// settings (key prefix, private addresses allowed) and quick webhook retries, so the retry tests take
/// fractions of a second instead of the production backoff.
/// </summary>
public static class AuditHostForTests
{
    public const int WebhookMaxAttempts = 3;

    /// <param name="settings">The fixture's settings.</param>
    /// <param name="observe">Adds the fixture's span and log collectors to the host's services.</param>
    public static async Task<IHost> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? observe = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = TestPaths.ProjectDirectory("Messaging.Audit"),
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Webhooks:MaxAttempts"] = WebhookMaxAttempts.ToString(),
            ["Webhooks:FirstRetryDelay"] = "00:00:00.050",
            ["Webhooks:AttemptTimeout"] = "00:00:05",
            // Not the worker's file: the worker's health test must read the worker's word.
            ["Health:File"] = Path.Combine(Path.GetTempPath(), $"messaging-it-audit-{Guid.NewGuid():N}.health"),
        });
        builder.AddAuditHost();
        observe?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
