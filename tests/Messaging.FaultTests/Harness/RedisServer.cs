using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Messaging.FaultTests.Harness;

/// <summary>
/// A redis-server of the tests' own (never the shared one on 6379): a child process on a free port,
/// without persistence, so a restart loses everything, as FLUSHALL does. The tests may kill, restart
/// and flush it freely.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _logPath;
    private readonly string _directory;
    private ChildProcess? _process;
    private ConnectionMultiplexer? _client;

    private RedisServer(int port, string logPath, string directory)
    {
        Port = port;
        _logPath = logPath;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>The connection string the workers get (<c>Redis__Configuration</c>).</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false";

    public IDatabase Db => (_client ?? throw new InvalidOperationException("Redis is not started.")).GetDatabase();

    public IConnectionMultiplexer Multiplexer => _client ?? throw new InvalidOperationException("Redis is not started.");

    public IServer Server => _client!.GetServer("127.0.0.1", Port);

    public static async Task<RedisServer> StartAsync(string logDirectory)
    {
        var directory = Path.Combine(logDirectory, "redis");
        Directory.CreateDirectory(directory);
        var server = new RedisServer(FreePort(), Path.Combine(logDirectory, "redis-server.log"), directory);
        await server.StartProcessAsync();
        server._client = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", server.Port } },
            AbortOnConnectFail = false,
            AllowAdmin = true,
            ConnectTimeout = 2000,
            SyncTimeout = 5000,
            AsyncTimeout = 5000,
        });
        return server;
    }

    private async Task StartProcessAsync()
    {
        var binary = File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
        _process = ChildProcess.Start($"redis-server:{Port}", binary,
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", _directory],
            _directory, new Dictionary<string, string>(), _logPath);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await AnswersAsync())
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
                throw new InvalidOperationException($"redis-server on port {Port} did not start (see {_logPath}).");
            await Task.Delay(50);
        }
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            return System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Kills the server (SIGKILL) and starts a new, empty one on the same port after <paramref name="downFor"/>.</summary>
    public async Task RestartAsync(TimeSpan downFor)
    {
        await _process!.KillAsync();
        await _process.DisposeAsync();
        await Task.Delay(downFor);
        await StartProcessAsync();
    }

    public async Task FlushAllAsync() => await Server.FlushAllDatabasesAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
            await _client.DisposeAsync();
        if (_process is not null)
            await _process.DisposeAsync();
    }
}
