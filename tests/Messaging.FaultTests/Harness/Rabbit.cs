using System.Diagnostics;

namespace Messaging.FaultTests.Harness;

/// <summary>rabbitmqctl: the fault vhost, queue purges and counts, and the broker restart (stop_app/start_app).</summary>
internal static class Rabbit
{
    public const string VHost = "messaging-faults";

    private static string Ctl => File.Exists("/usr/sbin/rabbitmqctl") ? "/usr/sbin/rabbitmqctl" : "rabbitmqctl";

    public static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Ctl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static async Task<string> MustAsync(params string[] arguments)
    {
        var (code, output) = await RunAsync(arguments);
        if (code != 0)
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} failed ({code}): {output}");
        return output;
    }

    /// <summary>Creates the vhost when missing and gives guest every permission on it (idempotent).</summary>
    private static bool _vhostReady;

    public static async Task EnsureVHostAsync()
    {
        if (_vhostReady)
            return;
        var vhosts = await MustAsync("-q", "list_vhosts", "name");
        if (!vhosts.Split('\n').Select(l => l.Trim()).Contains(VHost))
        {
            var (code, output) = await RunAsync("add_vhost", VHost);
            if (code != 0 && !output.Contains("already exists", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"rabbitmqctl add_vhost {VHost} failed: {output}");
        }
        await MustAsync("set_permissions", "-p", VHost, "guest", ".*", ".*", ".*");
        _vhostReady = true;
    }

    /// <summary>Queue name -> ready messages in the fault vhost.</summary>
    public static async Task<Dictionary<string, long>> QueuesAsync()
    {
        var output = await MustAsync("-q", "list_queues", "-p", VHost, "name", "messages", "--no-table-headers");
        var result = new Dictionary<string, long>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t', StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && long.TryParse(parts[1], out var count))
                result[parts[0]] = count;
        }
        return result;
    }

    /// <summary>Empties the given queues (those that exist) so that a scenario starts from nothing.</summary>
    public static async Task PurgeAsync(params string[] queues)
    {
        var existing = await QueuesAsync();
        foreach (var queue in queues.Where(q => existing.GetValueOrDefault(q) > 0))
            await MustAsync("-q", "purge_queue", "-p", VHost, queue);
    }

    /// <summary>Takes guest's read permission on one queue (and its exchange) of the fault vhost; <see cref="EnsureVHostAsync"/>'s grant restores it.</summary>
    public static Task DenyReadAsync(string queue) =>
        MustAsync("set_permissions", "-p", VHost, "guest", ".*", ".*", $"^(?!{queue}$).*");

    public static Task AllowAllAsync() => MustAsync("set_permissions", "-p", VHost, "guest", ".*", ".*", ".*");

    /// <summary>Drops every client connection to the fault vhost; clients reconnect by themselves.</summary>
    public static Task CloseConnectionsAsync() => MustAsync("close_all_connections", "--vhost", VHost, "--limit", "100", "fault test");

    /// <summary>Stops the RabbitMQ application (the Erlang node keeps running); every connection drops.</summary>
    public static Task StopAppAsync() => MustAsync("stop_app");

    public static async Task StartAppAsync()
    {
        await MustAsync("start_app");
        await MustAsync("await_startup");
    }
}
