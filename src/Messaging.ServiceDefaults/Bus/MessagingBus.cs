using MassTransit;
using Messaging.ServiceDefaults.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.ServiceDefaults.Bus;

public static class MessagingBus
{
    /// <summary>
    /// The MassTransit bus on RabbitMQ (<see cref="RabbitMqOptions"/>, validated at start) with every endpoint
    /// made by <c>ConfigureEndpoints</c> on a quorum queue. The host names its consumers (with their
    /// definitions: endpoint names, concurrency, retries filtered by <see cref="TransientFailureFilter"/>) in
    /// <paramref name="registrations"/>, and anything the transport needs before the endpoints in
    /// <paramref name="transport"/>.
    /// </summary>
    public static IHostApplicationBuilder AddMessagingBus(this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> registrations,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? transport = null)
    {
        builder.Services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.Section)
            .PostConfigure(rabbit =>
            {
                if (!string.IsNullOrEmpty(rabbit.PassFile))
                    rabbit.Pass = SecretFile.Read(rabbit.PassFile, $"{RabbitMqOptions.Section}:{nameof(RabbitMqOptions.PassFile)}");
            })
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<StalledBusExit>();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            // MassTransit would otherwise report usage to its vendor from every process: no call leaves the installation.
            bus.DisableUsageTelemetry();
            registrations(bus);
            // Quorum queues: durable, replicated, and without the ~100 ms stalls classic queues showed under load.
            // The bus-level SetQuorumQueue does not reach endpoints made by ConfigureEndpoints; this callback does.
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                    rabbit.SetQuorumQueue();
            });
            bus.UsingRabbitMq((context, cfg) =>
            {
                var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VHost, host =>
                {
                    host.Username(rabbit.User);
                    host.Password(rabbit.Pass);
                });
                // Envelopes name the contract types alone, not the shape interfaces they implement.
                cfg.PublishContractTypesOnly();
                cfg.StampBrokerUserId(rabbit.User);
                transport?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }
}
