using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Builds;

/// <summary>
/// Keeps the engine's build cache under <see cref="BuildOptions.CacheKeepStorage"/> after every build: Engine API 1.41
/// <c>POST /build/prune?keep-storage=N</c>, which Docker.DotNet does not wrap, sent over the same endpoint. That call
/// bounds BuildKit's cache. The classic builder the worker uses keeps its cache as the intermediate images of what it
/// built, which go with those images when <see cref="EngineBuilds.PruneAsync"/> removes a context's older ones
/// (docs/BUILDS.md, "Disk").
/// </summary>
public sealed class EngineBuildCache(IOptions<DockerOptions> docker, IOptions<BuildOptions> builds, ILogger<EngineBuildCache> logger)
{
    /// <summary>Prunes the cache down to the configured size; the bytes the engine reclaimed, or null when off or it failed (logged).</summary>
    public async Task<long?> PruneAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(builds.Value.CacheKeepStorage) || !MemorySize.TryParse(builds.Value.CacheKeepStorage, out var keep))
            return null;
        try
        {
            using var http = Client(docker.Value.Endpoint);
            using var response = await http.PostAsync(
                $"v{docker.Value.ApiVersion}/build/prune?keep-storage={keep.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("Build cache prune refused by the engine ({Status}): {Body}", (int)response.StatusCode, body.Trim());
                return null;
            }
            var reclaimed = JsonDocument.Parse(body).RootElement.TryGetProperty("SpaceReclaimed", out var space) ? space.GetInt64() : 0;
            if (reclaimed > 0)
                logger.LogInformation("Build cache pruned to {Keep} bytes: {Reclaimed} bytes reclaimed", keep, reclaimed);
            return reclaimed;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Build cache prune failed; the next build tries again: {Error}", e.Message);
            return null;
        }
    }

    private static HttpClient Client(string endpoint)
    {
        var uri = new Uri(endpoint);
        if (uri.Scheme != "unix")
            return new HttpClient { BaseAddress = new UriBuilder(uri) { Scheme = "http", Path = "/" }.Uri, Timeout = TimeSpan.FromMinutes(2) };
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(uri.LocalPath), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://docker/"), Timeout = TimeSpan.FromMinutes(2) };
    }
}
