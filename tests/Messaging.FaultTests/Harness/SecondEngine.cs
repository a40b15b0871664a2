using Messaging.Testing;

namespace Messaging.FaultTests.Harness;

/// <summary>
/// A dockerd of the scenario's own (<c>infra/second-engine.sh</c>: its own network namespace, data root, socket),
/// for faults the shared engine must never suffer, such as a real restart. Brought down, with everything in it, on
/// dispose.
/// </summary>
internal sealed class SecondEngine : IAsyncDisposable
{
    private const string Name = "msg-faults";
    private const string Index = "2";

    private SecondEngine(string endpoint) => Endpoint = endpoint;

    /// <summary>Where the engine answers, as <c>Docker__Endpoint</c> takes it.</summary>
    public string Endpoint { get; }

    public static async Task<SecondEngine> StartAsync()
    {
        await RunAsync("down"); // a run that crashed may have left one
        var output = await RunAsync("up");
        return new SecondEngine(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Trim());
    }

    /// <summary>A real dockerd restart: SIGTERM (it stops every container, as on a host shutdown), then a fresh start.</summary>
    public Task RestartAsync() => RunAsync("restart");

    public async ValueTask DisposeAsync() => await RunAsync("down");

    private static Task<string> RunAsync(string action) => InfraScript.RunAsync("second-engine.sh", action, Name, Index);
}
