using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Messaging.State;
using Messaging.State.Reservations;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Worker.Tests;

/// <summary>
/// The state scripts run by SHA once loaded; a Redis that lost its script cache (restart, SCRIPT FLUSH)
/// answers NOSCRIPT, and the call must still succeed. Uses a redis-server of its own: flushing the
/// shared one's script cache would disturb every other test run.
/// </summary>
public sealed class ScriptCacheTests : IAsyncLifetime
{
    private Process? _server;
    private ConnectionMultiplexer? _redis;
    private int _port;

    public async Task InitializeAsync()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _server = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", _port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        { RedirectStandardOutput = true, UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                _redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_port},allowAdmin=true,connectTimeout=500");
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
        if (_server is { HasExited: false })
        {
            _server.Kill();
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
    }

    [Fact]
    public async Task A_reservation_still_runs_after_Redis_lost_its_script_cache()
    {
        var reservations = new PortReservations(_redis!, new RedisKeys("cache-test:"),
            Options.Create(new PortRangeOptions { Min = 30000, Max = 30010 }), TimeProvider.System);
        var serviceId = Guid.NewGuid();
        var first = await reservations.ReserveAsync(serviceId, "cached", Allocation.Uncounted(), null, default);

        await _redis!.GetServer("127.0.0.1", _port).ScriptFlushAsync();
        var again = await reservations.ReserveAsync(serviceId, "cached", Allocation.Uncounted(), null, default);

        Assert.Equal(ReserveOutcome.Reserved, first.Outcome);
        Assert.Equal((ReserveOutcome.Reserved, first.Port), (again.Outcome, again.Port));
    }
}
