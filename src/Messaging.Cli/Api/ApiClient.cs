using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Messaging.Cli.Api;

/// <summary>
/// The REST API over HTTP. Every error comes out as an exception with a message fit for the user:
/// <see cref="ApiException"/> when the API answered with a problem, <see cref="CliException"/> when it
/// could not be reached or did not answer in time.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    public const string ServicesPath = "api/v1/services";
    public const string TokensPath = "api/v1/tokens";
    public const string StacksPath = "api/v1/stacks";
    public const string BuildsPath = "api/v1/builds";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public ApiClient(Uri baseAddress, string token)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public Task<ApiResult<ServiceAccepted>> CreateAsync(CreateServiceRequest body, CancellationToken cancellationToken) =>
        SendAsync<ServiceAccepted>(HttpMethod.Post, ServicesPath, JsonContent.Create(body, options: ApiJson.Options), cancellationToken);

    public Task<ApiResult<ServiceView>> GetAsync(Guid serviceId, CancellationToken cancellationToken) =>
        SendAsync<ServiceView>(HttpMethod.Get, $"{ServicesPath}/{serviceId}", null, cancellationToken);

    /// <summary>Like <see cref="GetAsync"/>, but null for a 404 (a removal that is complete).</summary>
    public async Task<ApiResult<ServiceView>?> FindAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(serviceId, cancellationToken);
        }
        catch (ApiException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    /// <summary>Every service the caller may see, page after page (the API pages with <c>next_cursor</c>).</summary>
    public async IAsyncEnumerable<ApiResult<ServiceView>> ListAsync(string? status, [EnumeratorCancellation] CancellationToken cancellationToken, string? health = null)
    {
        string? cursor = null;
        do
        {
            var query = "?limit=200"
                + (status is null ? "" : "&status=" + Uri.EscapeDataString(status))
                + (health is null ? "" : "&health=" + Uri.EscapeDataString(health))
                + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await SendAsync<ServicePage>(HttpMethod.Get, ServicesPath + query, null, cancellationToken);
            foreach (var item in page.Value.Items)
                yield return new ApiResult<ServiceView>(Decode<ServiceView>(item), item);
            cursor = page.Value.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>A lifecycle command: <c>stop</c>, <c>start</c>, <c>restart</c> (POST) or <c>remove</c> (DELETE).</summary>
    public Task<ApiResult<CommandAccepted>> SendCommandAsync(Guid serviceId, string command, CancellationToken cancellationToken) =>
        command == "remove"
            ? SendAsync<CommandAccepted>(HttpMethod.Delete, $"{ServicesPath}/{serviceId}", null, cancellationToken)
            : SendAsync<CommandAccepted>(HttpMethod.Post, $"{ServicesPath}/{serviceId}/{command}", null, cancellationToken);

    public Task<ApiResult<ServiceLogs>> LogsAsync(Guid serviceId, int? tail, CancellationToken cancellationToken) =>
        SendAsync<ServiceLogs>(HttpMethod.Get, $"{ServicesPath}/{serviceId}/logs" + (tail is null ? "" : $"?tail={tail}"), null, cancellationToken);

    public Task<ApiResult<ServiceStats>> StatsAsync(Guid serviceId, CancellationToken cancellationToken) =>
        SendAsync<ServiceStats>(HttpMethod.Get, $"{ServicesPath}/{serviceId}/stats", null, cancellationToken);

    public Task<ApiResult<CreatedToken>> CreateTokenAsync(CreateTokenRequest body, CancellationToken cancellationToken) =>
        SendAsync<CreatedToken>(HttpMethod.Post, TokensPath, JsonContent.Create(body, options: ApiJson.Options), cancellationToken);

    public Task<ApiResult<TokenList>> ListTokensAsync(CancellationToken cancellationToken) =>
        SendAsync<TokenList>(HttpMethod.Get, TokensPath, null, cancellationToken);

    public Task<ApiResult<TokenView>> GetTokenAsync(string tokenId, CancellationToken cancellationToken) =>
        SendAsync<TokenView>(HttpMethod.Get, $"{TokensPath}/{Uri.EscapeDataString(tokenId)}", null, cancellationToken);

    /// <summary>Revokes a token (the API answers 204 with no body).</summary>
    public Task RevokeTokenAsync(string tokenId, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Delete, $"{TokensPath}/{Uri.EscapeDataString(tokenId)}", null, cancellationToken);

    public Task<ApiResult<StackAccepted>> CreateStackAsync(CreateStackRequest body, CancellationToken cancellationToken) =>
        SendAsync<StackAccepted>(HttpMethod.Post, StacksPath, JsonContent.Create(body, options: ApiJson.Options), cancellationToken);

    public Task<ApiResult<IReadOnlyList<StackView>>> ListStacksAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<StackView>>(HttpMethod.Get, StacksPath, null, cancellationToken);

    public Task<ApiResult<StackView>> GetStackAsync(Guid stackId, CancellationToken cancellationToken) =>
        SendAsync<StackView>(HttpMethod.Get, $"{StacksPath}/{stackId}", null, cancellationToken);

    public Task<ApiResult<BuildAccepted>> CreateBuildAsync(CreateBuildRequest body, CancellationToken cancellationToken) =>
        SendAsync<BuildAccepted>(HttpMethod.Post, BuildsPath, JsonContent.Create(body, options: ApiJson.Options), cancellationToken);

    public Task<ApiResult<BuildView>> GetBuildAsync(Guid buildId, CancellationToken cancellationToken) =>
        SendAsync<BuildView>(HttpMethod.Get, $"{BuildsPath}/{buildId}", null, cancellationToken);

    /// <summary>
    /// Follows <c>GET /builds/{id}/logs?follow=true</c> (Server-Sent Events), handing each line to <paramref name="line"/>
    /// as it comes, until the stream's <c>end</c> event; a stream cut short is opened again after the last line seen.
    /// </summary>
    public async Task FollowBuildLogAsync(Guid buildId, Func<string, Task> line, CancellationToken cancellationToken)
    {
        string? lastId = null;
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{BuildsPath}/{buildId}/logs?follow=true");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (lastId is not null)
                request.Headers.Add("Last-Event-ID", lastId);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode)
                    throw new ApiException((int)response.StatusCode, ReadProblem(response, await response.Content.ReadAsByteArrayAsync(cancellationToken)));
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
                string? kind = null, id = null, data = null;
                while (await reader.ReadLineAsync(cancellationToken) is { } text)
                {
                    if (text.Length == 0)
                    {
                        if (kind == "end")
                            return;
                        if (kind == "line" && data is not null)
                        {
                            await line(data);
                            lastId = id ?? lastId;
                        }
                        (kind, id, data) = (null, null, null);
                    }
                    else if (text.StartsWith("event:", StringComparison.Ordinal)) kind = Field(text, 6);
                    else if (text.StartsWith("id:", StringComparison.Ordinal)) id = Field(text, 3);
                    else if (text.StartsWith("data:", StringComparison.Ordinal)) data = data is null ? Field(text, 5) : data + "\n" + Field(text, 5);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= 5)
                    throw new CliException($"lost the build's log stream from {BaseAddress}: {e.Message}");
            }
            // The stream ended without its end event (a proxy or the API went away): open it again.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        // "data: x" carries "x": one space after the colon is part of the syntax.
        static string Field(string text, int colon) => text.Length > colon && text[colon] == ' ' ? text[(colon + 1)..] : text[colon..];
    }

    public Task<ApiResult<StackAccepted>> RemoveStackAsync(Guid stackId, CancellationToken cancellationToken) =>
        SendAsync<StackAccepted>(HttpMethod.Delete, $"{StacksPath}/{stackId}", null, cancellationToken);

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        var body = await SendRawAsync(method, path, content, cancellationToken);
        try
        {
            var json = JsonSerializer.Deserialize<JsonElement>(body);
            return new ApiResult<T>(Decode<T>(json), json);
        }
        catch (JsonException e)
        {
            throw new CliException($"the API at {BaseAddress} sent an answer that is not the expected JSON: {e.Message}");
        }
    }

    /// <summary>The body of a successful answer, as bytes (empty for a 204).</summary>
    private async Task<byte[]> SendRawAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        // Our own timeout rather than HttpClient's, so that it can be told apart from the user's Ctrl+C.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
                throw new ApiException((int)response.StatusCode, ReadProblem(response, body));
            return body;
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the API at {BaseAddress}: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"the API at {BaseAddress} did not answer within {RequestTimeout.TotalSeconds:0} s.");
        }
    }

    private static T Decode<T>(JsonElement json) =>
        json.Deserialize<T>(ApiJson.Options) ?? throw new JsonException($"Expected a JSON object for {typeof(T).Name}.");

    /// <summary>The problem details of an error answer; something readable even when the body is not one.</summary>
    private static ProblemDetails ReadProblem(HttpResponseMessage response, byte[] body)
    {
        try
        {
            var problem = JsonSerializer.Deserialize<ProblemDetails>(body, ApiJson.Options);
            if (problem?.Title is not null)
                return problem;
        }
        catch (JsonException)
        {
            // Not problem details (a proxy's HTML page, say): fall back to the status line.
        }
        var status = (int)response.StatusCode;
        return new ProblemDetails(response.ReasonPhrase ?? ((HttpStatusCode)status).ToString(), $"HTTP {status} from {response.RequestMessage?.RequestUri}", status, null);
    }

    public void Dispose() => _http.Dispose();
}
