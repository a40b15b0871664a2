using Messaging.Api.Capacity;
using Messaging.Api.Dashboard;
using Messaging.Api.Me;
using Messaging.Api.Pools;
using Messaging.Api.Nodes;
using Messaging.Api.Builds;
using Messaging.Api.Stacks;
using Messaging.ServiceDefaults;
using Messaging.ServiceDefaults.Bus;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using MassTransit;
using Messaging.Api.Services;
using Messaging.Api.Telemetry;
using Messaging.Api.Templates;
using Microsoft.Extensions.Options;
using Messaging.Api.Tokens;
using Messaging.Api.Reference;
using Messaging.Contracts;
using Messaging.State;
using Microsoft.AspNetCore.Authentication;

namespace Messaging.Api;

public static class ApiSetup
{
    public const int MaxBodyBytes = 64 * 1024;

    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxBodyBytes);

        // Readiness is answered at /health/ready (MapDefaultEndpoints), not written to a file.
        builder.AddServiceDefaults("messaging-api", healthFile: false);
        builder.AddApiTelemetry();
        services.AddApiReference(); // /openapi/v1.json with its introduction and examples (Reference/)
        services.AddProblemDetails();
        services.AddExceptionHandler<DependencyFailureHandler>();
        services.ConfigureHttpJsonOptions(json =>
        {
            var options = json.SerializerOptions;
            options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.DictionaryKeyPolicy = null; // env keys are the user's, verbatim
            // Nobody sneaks privileged, binds or network_mode in: unknown or repeated fields are errors.
            options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            options.AllowDuplicateProperties = false;
            options.RespectNullableAnnotations = true;
            options.NumberHandling = JsonNumberHandling.Strict;
        });

        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PublishOptions>().BindConfiguration(PublishOptions.Section);
        services.AddOptions<Messaging.Validation.Hostnames.HostnameOptions>().BindConfiguration(Messaging.Validation.Hostnames.HostnameOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DefaultQuotaOptions>().BindConfiguration(DefaultQuotaOptions.Section)
            .Validate(o => o.IsValid(), $"{DefaultQuotaOptions.Section}: MaxServices and MaxCpus must be positive, MaxMemory a size such as 4g.").ValidateOnStart();
        services.AddOptions<TemplateOptions>().BindConfiguration(TemplateOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TemplateOptions>, TemplateOptionsValidator>();
        services.AddSingleton<TemplateCatalogue>();
        services.AddSingleton<BootstrapToken>();
        services.AddSingleton<TokenAuthenticator>();
        services.AddApiRateLimits();
        // AddAuthenticationCore, not AddAuthentication: the latter also registers ASP.NET Core data protection,
        // whose hosted service loads (and on first start writes) a key ring at startup. Bearer tokens need
        // none of it; leaving it out saves about 10 MB of resident memory (docs/BENCHMARKS.md).
        services.AddAuthenticationCore(options => options.DefaultScheme = BearerTokenHandler.SchemeName);
        services.AddWebEncoders();
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Scopes.ServicesRead, policy => policy.RequireAssertion(c => c.User.Has(Scopes.ServicesRead)))
            .AddPolicy(Scopes.ServicesWrite, policy => policy.RequireAssertion(c => c.User.Has(Scopes.ServicesWrite)))
            .AddPolicy(Scopes.MetricsRead, policy => policy.RequireAssertion(c => c.User.Has(Scopes.MetricsRead)))
            .AddPolicy(Scopes.ImagesBuild, policy => policy.RequireAssertion(c => c.User.Has(Scopes.ImagesBuild)))
            .AddPolicy(Scopes.Admin, policy => policy.RequireAssertion(c => c.User.Has(Scopes.Admin)));

        services.AddValidatorsFromAssemblyContaining<CreateServiceRequestValidator>(ServiceLifetime.Singleton);
        services.AddScoped<CommandPublisher>();
        services.AddEventsApi(); // audit trail, live events, webhook subscriptions (Audit/EventsApiSetup.cs)

        builder.AddMessagingBus(bus =>
        {
            bus.AddWorkerRequestClient<GetServiceLogs>(builder.Configuration, nameof(PublishOptions.LogsTimeout), o => o.LogsTimeout);
            bus.AddWorkerRequestClient<GetServiceStats>(builder.Configuration, nameof(PublishOptions.StatsTimeout), o => o.StatsTimeout);
            bus.AddWorkerRequestClient<GetNodes>(builder.Configuration, nameof(PublishOptions.NodesTimeout), o => o.NodesTimeout);
            bus.AddBuildLogRelay(); // live build log lines from the worker (Builds/BuildLogRelay.cs)
        }, (context, cfg) =>
        {
            cfg.NameBusEndpoint("api");
            // Declare the worker's queues with the first publish: without a bound queue RabbitMQ would
            // confirm and then drop a command published before any worker started.
            BindCommandQueue<CreateService>(cfg, CommandQueues.CreateService);
            BindCommandQueue<StopService>(cfg, CommandQueues.ServiceLifecycle);
            BindCommandQueue<StartService>(cfg, CommandQueues.ServiceLifecycle);
            BindCommandQueue<RestartService>(cfg, CommandQueues.ServiceLifecycle);
            BindCommandQueue<RemoveService>(cfg, CommandQueues.ServiceLifecycle);
            BindCommandQueue<CreateStack>(cfg, CommandQueues.Stacks);
            BindCommandQueue<RemoveStack>(cfg, CommandQueues.Stacks);
            BindCommandQueue<BuildImage>(cfg, CommandQueues.Builds);
            cfg.ReceiveBuildLogs(context);
        });
        services.AddSingleton<BuildLogRelay>();
        return builder;
    }

    /// <summary>Also used by the accept benchmark's MassTransit-only contender, so that it publishes into the same topology.</summary>
    public static void BindCommandQueue<T>(IRabbitMqBusFactoryConfigurator cfg, string queue) where T : class =>
        // Bind the message type's own exchange straight to the queue: binding an exchange named after the
        // queue (as the worker's endpoint also does) would leave the message exchange unbound on a fresh vhost.
        cfg.Publish<T>(topology => topology.BindQueue(topology.Exchange.ExchangeName, queue, binding => binding.SetQuorumQueue()));

    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDashboard(); // the web UI's static files at / (Dashboard/): no token, no data of their own
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        var api = app.MapApiV1(); // token, rate limit, validation and common problems, once (Http/ApiRoutes.cs)
        api.MapServicesApi();
        api.MapTemplatesApi();
        api.MapStacksApi(); // Stacks/
        api.MapBuildsApi(); // Builds/ (issue 17)
        api.MapTokensApi();
        api.MapMeApi(); // GET /api/v1/me: the caller's scopes, quota and usage (Me/)
        api.MapPoolsApi(); // GET /api/v1/pools: warm pools as the worker reports them (Pools/, issue 20)
        api.MapNodesApi(); // GET /api/v1/nodes: the scheduler's nodes, read by a worker (Nodes/, issue 18)
        api.MapCapacityApi(); // GET /api/v1/images (caps per image), /capacity (ports, host budget): Capacity/
        api.MapEventsApi(); // /services/{id}/events, /audit, /events, /webhooks (Audit/EventsApiSetup.cs)
        app.MapApiReference(); // /openapi/v1.json, the reference UI at /docs (Reference/)
        app.MapDefaultEndpoints(); // /health/live, /health/ready, /metrics
        return app;
    }
}
