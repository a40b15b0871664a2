using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.ServiceDefaults.Health;

public static class HealthFileRegistration
{
    /// <summary>
    /// Publishes the readiness checks (tag <see cref="HealthTags.Ready"/>: the bus, which MassTransit registers,
    /// Redis, from <see cref="RedisRegistration.AddServiceRecords"/>, and whatever the host adds) to the file
    /// <c>Health:File</c> two seconds after the start and then every 15 s, for hosts that open no port.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="defaultFileName">The file's name in the temporary folder when <c>Health:File</c> is not set,
    /// e.g. <c>messaging-worker.health</c>.</param>
    public static IServiceCollection AddHealthFile(this IServiceCollection services, string defaultFileName)
    {
        // The default first: the configuration, when it has Health:File, overrides it.
        services.AddOptions<HealthFileOptions>()
            .Configure(options => options.File = Path.Combine(Path.GetTempPath(), defaultFileName))
            .BindConfiguration(HealthFileOptions.Section);
        // AddHealthChecks also registers the service that runs the checks and calls the publishers.
        services.AddHealthChecks();
        services.AddSingleton<IHealthCheckPublisher, HealthFilePublisher>();
        services.Configure<HealthCheckPublisherOptions>(publisher =>
        {
            publisher.Delay = TimeSpan.FromSeconds(2);
            publisher.Period = TimeSpan.FromSeconds(15);
            publisher.Predicate = check => check.Tags.Contains(HealthTags.Ready);
        });
        return services;
    }
}
