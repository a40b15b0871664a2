using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Messaging.Testing;

namespace Messaging.IntegrationTests.Edge;

/// <summary>
/// The Caddy that infra/caddy-up.sh runs: killed by the pid in its pid file (only when that process is still the
/// caddy the script started), started again with the same script, and read or changed behind the edge host's back
/// through its admin socket.
/// </summary>
public static class Caddy
{
    private static string StateDirectory => Environment.GetEnvironmentVariable("MESSAGING_INFRA_STATE_DIR") is { Length: > 0 } dir ? dir : "/tmp/messaging-infra";

    public static async Task KillAsync()
    {
        var fields = (await File.ReadAllTextAsync(Path.Combine(StateDirectory, "caddy.pid"))).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var pid = int.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        Assert.Equal("caddy", process.ProcessName);
        process.Kill();
        await process.WaitForExitAsync();
    }

    public static async Task StartAsync()
    {
        using var script = Process.Start(new ProcessStartInfo("bash", [Path.Combine(TestPaths.SolutionDirectory, "infra", "caddy-up.sh")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = script.StandardOutput.ReadToEndAsync();
        var errors = script.StandardError.ReadToEndAsync();
        await script.WaitForExitAsync();
        Assert.True(script.ExitCode == 0, $"infra/caddy-up.sh failed: {await output}{await errors}");
    }

    public static async Task<string> RoutesAsync()
    {
        using var admin = Client();
        return await admin.GetStringAsync("config/apps/http/servers/edge/routes");
    }

    public static async Task AddRouteAsync(string routeJson)
    {
        using var admin = Client();
        using var response = await admin.PutAsync("config/apps/http/servers/edge/routes/0", new StringContent(routeJson, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static HttpClient Client()
    {
        var socketPath = TestEnvironment.CaddyAdmin["unix:".Length..];
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost/") };
    }
}
