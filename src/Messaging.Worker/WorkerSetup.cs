using Messaging.ServiceDefaults;
using Messaging.ServiceDefaults.Bus;
using Docker.DotNet;
using FluentValidation;
using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Messaging.ServiceDefaults.Health;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Messaging.Worker.Health;
using Messaging.Worker.Identity;
using Messaging.Worker.Lifecycle;
using Messaging.Worker.Reconciliation;
using Messaging.Worker.Stacks;
using Messaging.Worker.Builds;
using Messaging.Worker.Supervision;
using Messaging.Worker.Telemetry;
using Messaging.Worker.Policy;
using Messaging.State.Reservations;
using Messaging.Worker.Provisioning;
using Messaging.Worker.Pools;
using Messaging.Worker.Scheduling;
using Microsoft.Extensions.Options;

namespace Messaging.Worker;

public static class WorkerSetup
{
    /// <summary>Everything the worker runs: the host defaults, options (validated at start), the engine client, the bus.</summary>
    public static IHostApplicationBuilder AddWorker(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Readiness (broker, Redis, engine) in the file Health:File, $TMPDIR/messaging-worker.health by default.
        builder.AddServiceDefaults("messaging-worker", healthFile: true);
        builder.AddWorkerTelemetry();

        services.AddOptions<DockerOptions>().BindConfiguration(DockerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PortRangeOptions>().BindConfiguration(PortRangeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ImagePolicyOptions>().BindConfiguration(ImagePolicyOptions.Section).ValidateOnStart();
        services.AddOptions<Messaging.Validation.Hostnames.HostnameOptions>().BindConfiguration(Messaging.Validation.Hostnames.HostnameOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ImagePolicyOptions>, ImagePolicyOptionsValidator>();

        // Who a command acts for: the publisher's broker user (Identity/CommandIdentity.cs), with a quota per system.
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section);
        services.AddOptions<SystemQuotaOptions>().BindConfiguration(SystemQuotaOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SystemQuotaOptions>, SystemQuotaOptionsValidator>();
        services.AddSingleton<IBrokerUserSource, RabbitMqBrokerUser>();
        services.AddSingleton<CommandIdentity>();
        services.AddSingleton<IValidator<CreateService>, CreateServiceCommandValidator>();
        services.AddSingleton<CreateServicePolicy>();
        // What all services together may hold of the host (HostBudget; unset parts from the engine's /info).
        services.AddOptions<HostBudgetOptions>().BindConfiguration(HostBudgetOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HostBudgetOptions>, HostBudgetOptionsValidator>();
        services.AddSingleton<HostBudgets>();
        services.AddHostedService<CapacityReporter>(); // caps, port range and host budget for the API (GET /api/v1/images, /capacity)
        services.AddSingleton<ContainerSpecBuilder>();
        services.AddSingleton<IDockerClient>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DockerOptions>>().Value;
            return new DockerClientBuilder()
                .WithEndpoint(new Uri(options.Endpoint))
                .WithApiVersion(Version.Parse(options.ApiVersion))
                .WithTimeout(options.RequestTimeout)
                .Build();
        });
        builder.AddScheduler(); // containers on one engine, or services on a swarm (Scheduler:Mode; Scheduling/)
        services.AddSingleton<ServicesNetwork>();

        services.AddOptions<ReconcilerOptions>().BindConfiguration(ReconcilerOptions.Section)
            .Validate(o => o.RecordRetention > TimeSpan.Zero, "Reconciler:RecordRetention must be a positive time span (e.g. 7.00:00:00).")
            .ValidateOnStart();
        services.AddSingleton<Reconciler>();
        services.AddOptions<Quotas.QuotaWatchOptions>().BindConfiguration(Quotas.QuotaWatchOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Quotas.QuotaWatch>();
        services.AddHostedService<Quotas.QuotaNearGauge>();
        services.AddSingleton<ServiceQueries>();
        services.AddHostedService<ReconcilerService>();
        services.AddStacks();
        services.AddBuilds(); // BuildImage from the operator's contexts (Builds/)
        services.AddPools(); // warm pools, off by default (Pools/)

        // The supervisor: engine events -> health and restart policy -> events (Supervision/).
        services.AddOptions<SupervisorOptions>().BindConfiguration(SupervisorOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EngineContainers>();
        services.AddSingleton<ServiceSupervisor>();
        services.AddSingleton<SupervisionQueue>();
        services.AddSingleton<WorkerProbes>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerProbes>());
        services.AddHostedService<SupervisorService>();
        // On SIGTERM the bus stops taking messages and waits for those in flight; unstarted ones go back to the queue.
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(60));

        services.AddHealthChecks().AddCheck<DockerEngineHealthCheck>("docker", tags: [HealthTags.Ready]);

        builder.AddMessagingBus(bus =>
        {
            bus.AddConsumer<CreateServiceConsumer, CreateServiceConsumerDefinition>();
            bus.AddServiceLifecycleConsumers();
            bus.AddConsumer<GetServiceLogsConsumer, GetServiceLogsConsumerDefinition>();
            bus.AddConsumer<GetServiceStatsConsumer, GetServiceStatsConsumerDefinition>();
            bus.AddConsumer<Nodes.GetNodesConsumer, Nodes.GetNodesConsumerDefinition>(); // GET /api/v1/nodes (Nodes/, issue 18)
            bus.AddStackConsumers(); // CreateStack, RemoveStack (Stacks/)
            bus.AddBuildConsumers(); // BuildImage (Builds/)
        }, (_, cfg) => cfg.NameBusEndpoint("worker"));
        return builder;
    }
}
