using Messaging.State;
using Messaging.State.Tokens;
using Messaging.Worker;
using Messaging.Worker.Containers;
using Messaging.Worker.Policy;
using Messaging.State.Reservations;
using Messaging.Worker.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Docker.DotNet;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// The worker's own components, wired by <c>AddWorker</c> from the worker's appsettings.json plus the bench's
/// settings, in this process and never started (no consumer runs here): the policy and the spec builder
/// (for the identical baseline spec), port reservations, the reconciler, the token store.
/// </summary>
public sealed class WorkerParts : IDisposable
{
    private readonly IHost _host;

    private WorkerParts(IHost host) => _host = host;

    public static WorkerParts Build(BenchContext context, string redisPrefix, IDictionary<string, string?>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = context.ContentRootOf("Messaging.Worker"),
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(WorkerSettings(context, redisPrefix));
        if (extra is not null)
            builder.Configuration.AddInMemoryCollection(extra);
        builder.Logging.ClearProviders();
        builder.AddWorker();
        return new WorkerParts(builder.Build());
    }

    /// <summary>The settings the bench gives its worker process too (as environment variables).</summary>
    public static Dictionary<string, string?> WorkerSettings(BenchContext context, string redisPrefix) =>
        context.Settings(redisPrefix).ToConfiguration();

    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    public CreateServicePolicy Policy => Get<CreateServicePolicy>();
    public ContainerSpecBuilder Specs => Get<ContainerSpecBuilder>();
    public PortReservations Reservations => Get<PortReservations>();
    public Reconciler Reconciler => Get<Reconciler>();
    public IContainerRuntime Runtime => Get<IContainerRuntime>();
    public TokenStore Tokens => Get<TokenStore>();
    public RedisKeys Keys => Get<RedisKeys>();
    public IConnectionMultiplexer Redis => Get<IConnectionMultiplexer>();
    public IDockerClient Docker => Get<IDockerClient>();

    public void Dispose() => _host.Dispose();
}
