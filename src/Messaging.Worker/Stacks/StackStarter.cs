using System.Collections.Concurrent;
using Messaging.Contracts;
using Messaging.Worker.Containers;
using Messaging.Worker.Supervision;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Stacks;

/// <summary>How starting a stack's members went: the containers made (to keep or roll back), the members started, and the first failure.</summary>
public sealed record StackStartResult(
    IReadOnlyDictionary<string, string> Containers, IReadOnlySet<string> Started, StackRefusal? Failure);

/// <summary>
/// Creates and starts a stack's members on its network. Each member starts as soon as the members it depends on
/// have started (and passed their health check, for <c>condition: service_healthy</c>), so independent members start
/// in parallel. A member whose dependency failed is not started. Every container is recorded as soon as it exists,
/// so a rollback finds all of them.
/// </summary>
public sealed class StackStarter(
    IContainerRuntime containers, ContainerSpecBuilder specs, EngineContainers engine, IOptions<DockerOptions> docker,
    TimeProvider clock, ILogger<StackStarter> logger)
{
    private static readonly TimeSpan HealthPoll = TimeSpan.FromMilliseconds(250);

    public async Task<StackStartResult> StartAsync(Guid stackId, StackPlan plan, string network, int? publicPort, CancellationToken cancellationToken)
    {
        var made = new ConcurrentDictionary<string, string>();
        var started = new ConcurrentDictionary<string, bool>();
        var failures = new ConcurrentQueue<StackRefusal>();
        var byName = plan.Members.ToDictionary(m => m.Name);
        var tasks = new Dictionary<string, Task<bool>>();

        // Depth-first, so a member's task exists before any member that waits on it (the file has no cycles).
        Task<bool> TaskOf(PlannedMember member)
        {
            if (tasks.TryGetValue(member.Name, out var existing))
                return existing;
            var dependencies = member.Definition.DependsOn.Select(d => (d, TaskOf(byName[d.Service]))).ToList();
            return tasks[member.Name] = RunMember(member, dependencies);
        }

        async Task<bool> RunMember(PlannedMember member, List<(Messaging.Stacks.Compose.StackDependency Dependency, Task<bool> Started)> dependencies)
        {
            foreach (var (dependency, dependencyStarted) in dependencies)
            {
                if (!await dependencyStarted)
                    return false;
                if (dependency.WaitForHealthy && !await WaitHealthyAsync(byName[dependency.Service], made[dependency.Service], failures, cancellationToken))
                    return false;
            }
            try
            {
                var spec = SpecOf(stackId, member, network, member.Definition.IsPublic ? publicPort ?? 0 : 0);
                var id = await CreateOrAdoptAsync(spec, member, cancellationToken);
                made[member.Name] = id;
                await containers.StartAsync(new ServiceContainer(id, member.ServiceId), spec.Port.HostPort, cancellationToken);
                started[member.Name] = true;
                logger.LogInformation("Stack member {Member} ({ServiceName}) started in {ContainerId}", member.Name, member.ServiceName, id);
                return true;
            }
            catch (ContainerRuntimeException e)
            {
                failures.Enqueue(new StackRefusal(e.Reason, $"services.{member.Name}: {e.Message}", member.Name));
                return false;
            }
        }

        await Task.WhenAll(plan.Members.Select(TaskOf).ToList());
        failures.TryPeek(out var failure);
        return new StackStartResult(made, started.Keys.ToHashSet(), failure);
    }

    private ContainerSpec SpecOf(Guid stackId, PlannedMember member, string network, int hostPort)
    {
        var spec = specs.Build(member.Approved, hostPort);
        var labels = new Dictionary<string, string>(spec.Labels) { [ContainerLabels.StackId] = stackId.ToString("D") };
        return spec with
        {
            Labels = labels,
            Network = network,
            NetworkAliases = [member.Name],
            // The planner refused both unless the member's allowlist entry sets AllowCommand.
            Entrypoint = member.Definition.Entrypoint,
            Command = member.Definition.Command,
            Health = member.Definition.HealthCheck is { } check
                ? new HealthProbe(check.Test, check.Interval ?? TimeSpan.FromSeconds(30), check.Timeout ?? TimeSpan.FromSeconds(30),
                    check.Retries ?? 3, check.StartPeriod ?? TimeSpan.Zero)
                : spec.Health,
        };
    }

    /// <summary>Creates the member's container, or adopts the one an earlier delivery of this command made.</summary>
    private async Task<string> CreateOrAdoptAsync(ContainerSpec spec, PlannedMember member, CancellationToken cancellationToken)
    {
        try
        {
            return await containers.CreateAsync(spec, cancellationToken);
        }
        catch (ContainerNameConflictException)
        {
            var existing = await containers.FindByNameAsync(spec.Name, cancellationToken);
            if (existing is not null && ContainerLabels.BelongTo(existing.Labels, docker.Value.Instance, member.ServiceId))
                return existing.Id;
            throw;
        }
    }

    /// <summary>
    /// Waits until the member's health check passes; false (with a failure) when it reports unhealthy, the container
    /// stops, or the check's own budget (start period, then every retry) runs out.
    /// </summary>
    private async Task<bool> WaitHealthyAsync(PlannedMember member, string containerId, ConcurrentQueue<StackRefusal> failures, CancellationToken cancellationToken)
    {
        var probe = SpecOf(Guid.Empty, member, "", 0).Health;
        var budget = probe is null
            ? TimeSpan.FromSeconds(10)
            : probe.StartPeriod + (probe.Interval + probe.Timeout) * (probe.Retries + 1) + TimeSpan.FromSeconds(5);
        var deadline = clock.GetUtcNow() + budget;
        while (true)
        {
            var seen = await engine.ObserveAsync(new ServiceContainer(containerId, member.ServiceId), cancellationToken);
            if (seen?.Health == "healthy")
                return true;
            string? why = seen is null ? "its container is gone"
                : !seen.Running ? $"it exited with code {seen.ExitCode}"
                : seen.Health == "unhealthy" ? $"its health check failed: {seen.HealthOutput}"
                : seen.Health is null ? "it has no health check"
                : clock.GetUtcNow() > deadline ? $"it was not healthy after {budget.TotalSeconds:0}s"
                : null;
            if (why is not null)
            {
                failures.Enqueue(new StackRefusal(FailureReasons.DockerError, $"services.{member.Name}: {why}.", member.Name));
                return false;
            }
            await Task.Delay(HealthPoll, cancellationToken);
        }
    }
}
