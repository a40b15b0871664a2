namespace Messaging.Stacks.Compose;

/// <summary>
/// Why well-known Compose keys are outside the subset. Any other unknown key is refused too, with a general
/// message; these say what to do instead, so a user is not left guessing which rule they met.
/// </summary>
internal static class RefusedKeys
{
    private const string Namespaces = "containers never share the host's namespaces.";
    private const string Kernel = "resources and kernel settings are the worker's; limits go in deploy.resources.limits.";
    private const string Network = "each stack has its own private network; members reach each other by service name and nothing else.";

    private static readonly Dictionary<string, string> ServiceKeys = new(StringComparer.Ordinal)
    {
        ["privileged"] = "privileged containers are never run.",
        ["volumes"] = "no volumes or bind mounts: a member gets its image and a small tmpfs.",
        ["volumes_from"] = "no volumes or bind mounts: a member gets its image and a small tmpfs.",
        ["tmpfs"] = "tmpfs mounts come from the image's allowlist entry.",
        ["network_mode"] = Network,
        ["networks"] = Network,
        ["links"] = Network,
        ["external_links"] = Network,
        ["extra_hosts"] = Network,
        ["dns"] = Network,
        ["dns_search"] = Network,
        ["dns_opt"] = Network,
        ["hostname"] = Network,
        ["domainname"] = Network,
        ["mac_address"] = Network,
        ["pid"] = Namespaces,
        ["ipc"] = Namespaces,
        ["uts"] = Namespaces,
        ["userns_mode"] = Namespaces,
        ["cgroup"] = Namespaces,
        ["cgroup_parent"] = Kernel,
        ["cap_add"] = "capabilities come from the image's allowlist entry.",
        ["cap_drop"] = "capabilities come from the image's allowlist entry (all others are dropped already).",
        ["devices"] = "devices are never passed to a container.",
        ["device_cgroup_rules"] = "devices are never passed to a container.",
        ["gpus"] = "devices are never passed to a container.",
        ["build"] = "stacks run images from the allowlist; building is not part of the subset.",
        ["sysctls"] = Kernel,
        ["ulimits"] = Kernel,
        ["security_opt"] = "the security options are the worker's (no-new-privileges, default seccomp and AppArmor).",
        ["shm_size"] = Kernel,
        ["mem_limit"] = Kernel,
        ["memswap_limit"] = Kernel,
        ["mem_reservation"] = Kernel,
        ["mem_swappiness"] = Kernel,
        ["cpus"] = Kernel,
        ["cpu_shares"] = Kernel,
        ["cpu_quota"] = Kernel,
        ["cpu_period"] = Kernel,
        ["cpuset"] = Kernel,
        ["pids_limit"] = Kernel,
        ["oom_kill_disable"] = Kernel,
        ["oom_score_adj"] = Kernel,
        ["blkio_config"] = Kernel,
        ["storage_opt"] = Kernel,
        ["isolation"] = Kernel,
        ["runtime"] = "the container runtime is the engine's default.",
        ["init"] = "the image's own entrypoint runs as PID 1.",
        ["user"] = "the user comes from the image's allowlist entry.",
        ["group_add"] = "the user and groups come from the image's allowlist entry.",
        ["read_only"] = "the root file system's mode comes from the image's allowlist entry.",
        ["labels"] = "labels are the worker's: they decide which containers are ours and whose.",
        ["container_name"] = "the worker names containers (instance, stack and member name).",
        ["restart"] = "restarts are the supervisor's.",
        ["env_file"] = "files are not read: write the variables under environment.",
        ["secrets"] = "write values under environment (templates can generate secrets).",
        ["configs"] = "files are not read or mounted.",
        ["logging"] = "logging is the worker's (json-file, bounded).",
        ["platform"] = "the image's platform is the engine's.",
        ["working_dir"] = "the working directory is the image's.",
        ["stop_signal"] = "stopping is the worker's.",
        ["stop_grace_period"] = "stopping is the worker's.",
        ["profiles"] = "every member of a stack runs.",
        ["scale"] = "each member runs once.",
        ["extends"] = "files are not read: use YAML anchors and merge keys.",
        ["pull_policy"] = "images are never pulled: they are the allowlist's, on the host.",
        ["annotations"] = "labels and annotations are the worker's.",
        ["attach"] = "logs are the worker's.",
        ["stdin_open"] = "members run without a terminal.",
        ["tty"] = "members run without a terminal.",
    };

    private static readonly Dictionary<string, string> TopLevelKeys = new(StringComparer.Ordinal)
    {
        ["volumes"] = "no volumes: a member gets its image and a small tmpfs.",
        ["networks"] = Network,
        ["secrets"] = "write values under a service's environment (templates can generate secrets).",
        ["configs"] = "files are not read or mounted.",
        ["include"] = "files are not read: one file holds the whole stack.",
        ["name"] = "the stack's name is given with the request, not in the file.",
    };

    public static string ForService(string key) =>
        ServiceKeys.TryGetValue(key, out var why) ? $"is not allowed: {why}" : General;

    public static string ForTopLevel(string key) =>
        TopLevelKeys.TryGetValue(key, out var why) ? $"is not allowed: {why}" : General;

    public const string General = "is not part of the stack subset (docs/STACKS.md lists every key it takes).";
}
