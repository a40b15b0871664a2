using System.ComponentModel.DataAnnotations;

namespace Messaging.Worker.Scheduling;

/// <summary>Where services run. Section <c>Scheduler</c>.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary><c>containers</c> (default): plain containers on the one engine of <c>Docker:Endpoint</c>; <c>swarm</c>: one
    /// replicated Swarm service per service, the engine of <c>Docker:Endpoint</c> being a manager of the swarm.</summary>
    public SchedulerMode Mode { get; set; } = SchedulerMode.Containers;

    public SwarmOptions Swarm { get; set; } = new();
}

public enum SchedulerMode
{
    Containers,
    Swarm,
}

/// <summary>Settings of the Swarm adapter. Section <c>Scheduler:Swarm</c>.</summary>
public sealed class SwarmOptions
{
    /// <summary>
    /// Engine API 1.41 (Docker 20.10) has no per-service no-new-privileges, so every node must set it daemon-wide
    /// (<c>"no-new-privileges": true</c> in daemon.json, or <c>dockerd --no-new-privileges</c>). The worker checks every
    /// node at start (a one-off global job reading <c>NoNewPrivs</c> in its own <c>/proc/self/status</c>) and refuses to run
    /// when one lacks it. Turning this off is for test engines only.
    /// </summary>
    public bool RequireNoNewPrivileges { get; set; } = true;

    /// <summary>
    /// A service's port is published in host mode, bound on every address of the node its task runs on (1.41 has no host
    /// address for a service's port), so without a firewall rule a task could reach any service at a node's address. The
    /// worker checks every node at start (a task on an overlay network must not be able to open the lowest or highest port
    /// of <c>Ports</c> at its node's gateway or at any node's address) and refuses to run when one can.
    /// <c>infra/port-isolation.sh install MIN:MAX</c> on every node installs the rules. Turning this off is for test swarms only.
    /// </summary>
    public bool RequirePortIsolation { get; set; } = true;

    /// <summary>The image of those checks: any image on every node with <c>sh</c>, <c>grep</c>, <c>awk</c>, <c>ip</c> and <c>nc</c> (busybox; nginx:alpine is the shipped allowlist's first).</summary>
    [Required]
    public string ProbeImage { get; set; } = "nginx:alpine";

    /// <summary>How long a task may take to run after a start, restart or creation before the command fails.</summary>
    public TimeSpan TaskStartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Swarm's own restart policy for failed tasks (<c>none</c>, <c>on-failure</c>, <c>any</c>). The worker's supervisor
    /// follows one engine's container events and so is off in swarm mode; Swarm restarts tasks, and it reschedules the
    /// tasks of a lost or drained node only when this allows restarts. Default <c>any</c>, with <see cref="RestartDelay"/>.
    /// </summary>
    [RegularExpression("^(none|on-failure|any)$")]
    public string RestartCondition { get; set; } = "any";

    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(5);
}
