namespace Messaging.Testing;

/// <summary>
/// A dockerd of the tests' own (<c>infra/second-engine.sh</c>: its own network namespace, data root, containerd, socket
/// and hostname), for what the shared engine must never suffer: a real restart, a power loss, a second swarm node or a
/// manager of its own. Brought down, with everything in it, on dispose.
/// </summary>
public sealed class SecondEngine : IAsyncDisposable
{
    private readonly string _index;

    private SecondEngine(string name, string index) => (Name, _index) = (name, index);

    /// <summary>Its name: the script's state directory, its network namespace and its hostname.</summary>
    public string Name { get; }

    /// <summary>Where the engine answers, as <c>Docker__Endpoint</c> takes it.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Brings down what a crashed run may have left under the same name, then starts it.</summary>
    public static async Task<SecondEngine> StartAsync(string name, string index)
    {
        var engine = new SecondEngine(name, index);
        await engine.RunAsync("down");
        await engine.UpAsync();
        return engine;
    }

    /// <summary>Starts it (again, after <see cref="KillAsync"/>: on the same data root) and loads the test images.</summary>
    public async Task UpAsync() => Endpoint = (await RunAsync("up")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Trim();

    /// <summary>
    /// A real dockerd restart: SIGTERM (it stops every container, as on a host shutdown), the overlay leftovers of Docker
    /// 20.10 removed, then a fresh start. Returns what the script said (how many leftovers it found).
    /// </summary>
    public Task<string> RestartAsync() => RunAsync("restart");

    /// <summary>A power loss: SIGKILL to dockerd, its containerd, shims and every container process at once.</summary>
    public Task KillAsync() => RunAsync("kill");

    /// <summary>An <c>infra/</c> script in the engine's network namespace (its firewall is that namespace's own).</summary>
    public Task<string> RunInNamespaceAsync(string script, params string[] args) => InfraScript.RunInNamespaceAsync(Name, script, args);

    public async ValueTask DisposeAsync() => await RunAsync("down");

    private Task<string> RunAsync(string action) => InfraScript.RunAsync("second-engine.sh", action, Name, _index);
}
