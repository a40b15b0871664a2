using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Testing;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>
/// The baselines on the engine: the worker's own container spec (from <c>ContainerSpecBuilder</c>) created
/// and started straight through the Engine API with Docker.DotNet, or run with <c>docker run -d</c> and the
/// equivalent flags. Baseline containers carry <c>messaging.instance=bench-raw</c>, so the bench worker's
/// reconciler never adopts them; everything else in the spec is the worker's.
/// </summary>
public sealed class DockerBaseline(IDockerClient docker)
{
    private const string InstanceLabel = "messaging.instance";
    private int _counter;

    public IDockerClient Client => docker;

    /// <summary>The spec with a fresh name, port and service id, re-labelled as a baseline container.</summary>
    public static CreateContainerParameters AsBaseline(CreateContainerParameters spec, string name, int hostPort)
    {
        spec.Name = name;
        spec.Labels["messaging.service-id"] = Guid.NewGuid().ToString("D");
        spec.Labels["messaging.service-name"] = name;
        spec.Labels[InstanceLabel] = BenchContext.RawInstance;
        foreach (var binding in spec.HostConfig!.PortBindings!.Values.SelectMany(b => b))
            binding.HostPort = hostPort.ToString(CultureInfo.InvariantCulture);
        return spec;
    }

    public string NextName(string kind) => $"bench-{kind}-{Interlocked.Increment(ref _counter)}-{Random.Shared.Next(1000, 9999)}";

    /// <summary>Create + start through the Engine API; milliseconds.</summary>
    public async Task<double> CreateAndStartAsync(CreateContainerParameters spec, CancellationToken cancel)
    {
        var started = Clock.Now;
        var created = await docker.Containers.CreateContainerAsync(spec, cancel);
        await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancel);
        return Clock.MsSince(started);
    }

    /// <summary>Force-removes one baseline container by name (gone already is fine).</summary>
    public async Task RemoveAsync(string name)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true });
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    /// <summary>The <c>docker run -d</c> flags equivalent to a spec.</summary>
    public static List<string> RunArguments(CreateContainerParameters spec)
    {
        var host = spec.HostConfig!;
        var args = new List<string> { "run", "-d", "--name", spec.Name! };
        foreach (var (key, value) in spec.Labels)
            args.AddRange(["--label", $"{key}={value}"]);
        if (!string.IsNullOrEmpty(spec.User))
            args.AddRange(["--user", spec.User]);
        foreach (var env in spec.Env ?? [])
            args.AddRange(["-e", env]);
        args.AddRange(["--memory", $"{host.Memory}b", "--memory-swap", $"{host.MemorySwap}b"]);
        args.AddRange(["--cpus", (host.NanoCPUs / 1e9).ToString("0.#########", CultureInfo.InvariantCulture)]);
        if (host.PidsLimit is { } pids)
            args.AddRange(["--pids-limit", pids.ToString(CultureInfo.InvariantCulture)]);
        if (!string.IsNullOrEmpty(host.IpcMode))
            args.AddRange(["--ipc", host.IpcMode]);
        foreach (var option in host.SecurityOpt ?? [])
            args.AddRange(["--security-opt", option]);
        foreach (var cap in host.CapDrop ?? [])
            args.AddRange(["--cap-drop", cap]);
        foreach (var cap in host.CapAdd ?? [])
            args.AddRange(["--cap-add", cap]);
        if (host.ReadonlyRootfs)
            args.Add("--read-only");
        foreach (var (path, options) in host.Tmpfs ?? new Dictionary<string, string>())
            args.AddRange(["--tmpfs", $"{path}:{options}"]);
        args.AddRange(["--network", host.NetworkMode]);
        foreach (var (port, bindings) in host.PortBindings)
            foreach (var binding in bindings)
                args.AddRange(["-p", $"{binding.HostIP}:{binding.HostPort}:{port}"]);
        if (host.RestartPolicy is { } restart)
            args.AddRange(["--restart", restart.Name switch
            {
                RestartPolicyKind.UnlessStopped => "unless-stopped",
                RestartPolicyKind.Always => "always",
                RestartPolicyKind.OnFailure => "on-failure",
                _ => "no",
            }]);
        if (host.LogConfig is { } log)
        {
            args.AddRange(["--log-driver", log.Type]);
            foreach (var (key, value) in log.Config)
                args.AddRange(["--log-opt", $"{key}={value}"]);
        }
        args.Add(spec.Image);
        return args;
    }

    /// <summary><c>docker run -d</c> through the CLI; milliseconds (process start included, as a script would pay it).</summary>
    public static async Task<double> RunWithCliAsync(CreateContainerParameters spec, CancellationToken cancel)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in RunArguments(spec))
            start.ArgumentList.Add(argument);
        start.Environment["DOCKER_API_VERSION"] = "1.41";
        var began = Clock.Now;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        await process.WaitForExitAsync(cancel);
        var elapsed = Clock.MsSince(began);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"docker run failed ({process.ExitCode}): {await stderr}{await stdout}");
        return elapsed;
    }

    /// <summary>Creates the services network as the worker would (inter-container traffic off) when missing.</summary>
    public async Task EnsureNetworkAsync(string name)
    {
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters());
        if (networks.Any(n => n.Name == name))
            return;
        await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = name,
            Driver = "bridge",
            Labels = new Dictionary<string, string> { ["messaging.managed"] = "true", [InstanceLabel] = BenchContext.Instance },
            Options = new Dictionary<string, string> { ["com.docker.network.bridge.enable_icc"] = "false" },
        });
    }

    public async Task RemoveNetworkAsync(string name)
    {
        foreach (var network in (await docker.Networks.ListNetworksAsync(new NetworksListParameters())).Where(n => n.Name == name))
        {
            try
            {
                await docker.Networks.DeleteNetworkAsync(network.ID);
            }
            catch (DockerApiException e)
            {
                Console.Error.WriteLine($"[bench] network {name} not removed: {e.Message}");
            }
        }
    }

    public async Task<IList<ContainerListResponse>> ListAsync(string instance) =>
        await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{InstanceLabel}={instance}"] = true },
            },
        });

    /// <summary>Force-removes every container with <c>messaging.instance=&lt;instance&gt;</c>; how many.</summary>
    public async Task<int> RemoveAllAsync(string instance, int parallel = 4)
    {
        var sw = Stopwatch.StartNew();
        // A worker in swarm mode (infra/bench-swarm.sh) made services, whose tasks Swarm would start again.
        var services = await SystemCleanup.RemoveSwarmServicesAsync(docker, instance);
        if (services > 0)
            BenchContext.Log($"removed {services} swarm service(s) labelled {InstanceLabel}={instance}");
        var removed = await SystemCleanup.RemoveContainersAsync(docker, instance, parallel);
        if (removed > 0)
            BenchContext.Log($"removed {removed} container(s) labelled {InstanceLabel}={instance} in {sw.Elapsed.TotalSeconds:F1} s");
        return removed;
    }
}
