using Messaging.Worker.Containers;
using Messaging.Worker.Scheduling.Swarm;
using Messaging.Worker.Supervision;

namespace Messaging.Worker.Scheduling;

public static class SchedulingSetup
{
    /// <summary>
    /// The scheduler port's adapter that <c>Scheduler:Mode</c> names. Call before the bus is added: in swarm mode the
    /// readiness check (<see cref="SwarmReadiness"/>) is a hosted service that must pass before any consumer starts.
    /// </summary>
    public static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.Section)
            .Validate(o => o.Swarm.RestartCondition is "none" or "on-failure" or "any",
                "Scheduler:Swarm:RestartCondition must be none, on-failure or any.")
            .Validate(o => o.Swarm.TaskStartTimeout > TimeSpan.Zero, "Scheduler:Swarm:TaskStartTimeout must be positive.")
            .ValidateOnStart();
        var mode = builder.Configuration.GetValue(SchedulerOptions.Section + ":Mode", SchedulerMode.Containers);
        if (mode == SchedulerMode.Swarm)
        {
            services.AddSingleton<IContainerRuntime, SwarmServiceRuntime>();
            services.AddHostedService<SwarmReadiness>();
            // The supervisor follows one engine's container events; a service's task may run on any node, and Swarm's
            // restart policy (Scheduler:Swarm:RestartCondition) restarts and reschedules it instead.
            services.PostConfigure<SupervisorOptions>(o => o.Enabled = false);
            // Warm pool members are plain containers started on one engine: not on Swarm (yet).
            services.PostConfigure<Pools.PoolOptions>(o => o.Enabled = false);
        }
        else
        {
            services.AddSingleton<IContainerRuntime, DockerContainerRuntime>();
        }
        return builder;
    }
}
