using System.Globalization;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Worker.Containers;
using Messaging.State.Reservations;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Scheduling.Swarm;

/// <summary>
/// Runs before the worker takes any command in swarm mode, and stops it from starting when the swarm cannot give a
/// service the guard rails a container gets. The engine must be a manager of an active swarm, and on every node, checked
/// for real by a task there (<see cref="SwarmNodeProbe"/>):
/// <list type="bullet">
/// <item>no-new-privileges is set daemon-wide (Engine API 1.41 has no per-service field for it): the task's own process
/// has <c>NoNewPrivs: 1</c>;</item>
/// <item>a task cannot open the published port range (a service's port is bound on every address of its node, so
/// services could reach each other there): from an overlay network, as a service's task, a connection to the lowest and
/// highest port of the range at its node's gateway and at every node's address times out (dropped) rather than being
/// answered or refused. <c>infra/port-isolation.sh</c> installs the rules that make it so.</item>
/// </list>
/// </summary>
public sealed class SwarmReadiness(
    IDockerClient docker, IOptions<DockerOptions> dockerOptions, IOptions<SchedulerOptions> scheduler, IOptions<PortRangeOptions> ports,
    ILogger<SwarmReadiness> logger)
    : IHostedService
{
    /// <summary>Label of the checks' jobs and network, so what a crashed worker left is recognised (and removed) by the next one.</summary>
    public const string ProbeLabel = "messaging.swarm-probe";

    /// <summary>
    /// Exits 3 when any target answers or refuses (the connection got through the node's firewall); only a timeout (the
    /// SYN dropped) or no route passes. All targets at once: each that passes costs the 2 s of its timeout.
    /// </summary>
    private const string PortIsolationScript = """
        gw=$(ip route | awk '/^default/ {print $3; exit}')
        [ -n "$gw" ] || { echo "no default route"; exit 4; }
        open=$(for a in $gw $NODE_ADDRESSES; do
                 case $a in 127.*) continue;; esac
                 for p in $PORT_MIN $PORT_MAX; do
                   ( out=$(nc -w 2 "$a" "$p" </dev/null 2>&1); rc=$?
                     if [ $rc -eq 0 ] || echo "$out" | grep -q refused; then echo "$a:$p"; fi ) &
                 done
               done; wait)
        [ -z "$open" ] || { echo "open:" $open; exit 3; }
        """;

    private readonly SwarmNodeProbe _probe = new(docker, dockerOptions.Value.Instance, scheduler.Value.Swarm.ProbeImage);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = await docker.System.GetSystemInfoAsync(cancellationToken);
        if (info.Swarm?.LocalNodeState != "active" || !info.Swarm.ControlAvailable)
            throw new InvalidOperationException(
                $"Scheduler:Mode is swarm, but the engine at {dockerOptions.Value.Endpoint} is not a manager of an active swarm " +
                $"(state '{info.Swarm?.LocalNodeState}', manager: {info.Swarm?.ControlAvailable}). Run `docker swarm init` there, or set Scheduler:Mode=containers.");
        await RemoveLeftoverProbesAsync(cancellationToken);
        await CheckNoNewPrivilegesAsync(cancellationToken);
        await CheckPortIsolationAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CheckNoNewPrivilegesAsync(CancellationToken cancellationToken)
    {
        if (!scheduler.Value.Swarm.RequireNoNewPrivileges)
        {
            logger.LogWarning("Scheduler:Swarm:RequireNoNewPrivileges is off: services on Swarm may gain privileges through set-id binaries");
            return;
        }
        var lacking = await _probe.NodesFailingAsync("nnp", "grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/self/status", [], network: null, cancellationToken);
        if (lacking.Count > 0)
            throw new InvalidOperationException(
                $"Swarm node(s) {string.Join(", ", lacking)} do not set no-new-privileges daemon-wide. Engine API 1.41 cannot set it per " +
                "service, so the worker refuses to schedule on this swarm: add \"no-new-privileges\": true to /etc/docker/daemon.json " +
                "(or start dockerd with --no-new-privileges) on every node and restart the engines.");
        logger.LogInformation("Every swarm node sets no-new-privileges daemon-wide");
    }

    private async Task CheckPortIsolationAsync(CancellationToken cancellationToken)
    {
        if (!scheduler.Value.Swarm.RequirePortIsolation)
        {
            logger.LogWarning("Scheduler:Swarm:RequirePortIsolation is off: services on Swarm may reach each other at a node's published ports");
            return;
        }
        var range = $"{ports.Value.Min}:{ports.Value.Max}";
        var addresses = (await docker.Swarm.ListNodesAsync(cancellationToken)).Select(n => n.Status?.Addr)
            .Where(a => IPAddress.TryParse(a, out var ip) && !IPAddress.IsLoopback(ip)).Distinct();
        var network = await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = $"{dockerOptions.Value.Instance}-ports-probe-{Guid.NewGuid():N}"[..48],
            Driver = "overlay",
            Labels = new Dictionary<string, string> { [ProbeLabel] = dockerOptions.Value.Instance },
        }, cancellationToken);
        IReadOnlyList<string> open;
        try
        {
            open = await _probe.NodesFailingAsync("ports", PortIsolationScript,
            [
                $"NODE_ADDRESSES={string.Join(' ', addresses)}",
                $"PORT_MIN={ports.Value.Min.ToString(CultureInfo.InvariantCulture)}",
                $"PORT_MAX={ports.Value.Max.ToString(CultureInfo.InvariantCulture)}",
            ], network.ID, cancellationToken);
        }
        finally
        {
            await RemoveNetworkAsync(network.ID!);
        }
        if (open.Count > 0)
            throw new InvalidOperationException(
                $"On swarm node(s) {string.Join(", ", open)} a task can open the published port range {range} (exit 3: at its node's " +
                "or another node's address; exit 4: no route). Services' ports are bound on every address of their node, so services " +
                $"could reach each other there: run `infra/port-isolation.sh install {range}` as root on every node (after dockerd " +
                "has started), or turn Scheduler:Swarm:RequirePortIsolation off for a test swarm.");
        logger.LogInformation("No task on any swarm node can open the published port range {Range}", range);
    }

    /// <summary>
    /// Removes the check's network once the job's tasks have let go of it (Swarm detaches them a moment after the job is
    /// removed); one still in use after 30 s is left, and the next start removes it.
    /// </summary>
    private async Task RemoveNetworkAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await docker.Networks.DeleteNetworkAsync(id);
                return;
            }
            catch (DockerNetworkNotFoundException)
            {
                return;
            }
            catch (DockerApiException e) when (DateTime.UtcNow < deadline && e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Conflict or HttpStatusCode.InternalServerError or HttpStatusCode.BadRequest)
            {
                await Task.Delay(500);
            }
            catch (DockerApiException e)
            {
                logger.LogWarning("The port check's network {Network} is still in use; the next start removes it: {Error}", id, e.Message);
                return;
            }
        }
    }

    private async Task RemoveLeftoverProbesAsync(CancellationToken cancellationToken)
    {
        var ours = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [$"{ProbeLabel}={dockerOptions.Value.Instance}"] = true },
        };
        foreach (var service in await docker.Swarm.ListServicesAsync(new ServiceListParameters { Filters = ours }, cancellationToken))
            await docker.Swarm.RemoveServiceAsync(service.ID!, cancellationToken);
        foreach (var network in await docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = ours }, cancellationToken))
            await RemoveNetworkAsync(network.ID!);
    }
}
