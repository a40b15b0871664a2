namespace Messaging.IntegrationTests;

/// <summary>
/// A service's published port, asked the way a client that has just heard <c>ServiceCreated</c> or <c>ServiceStarted</c>
/// must ask it: those events say the container started, not that its process listens yet (that is what the health
/// check and <c>ServiceHealthy</c> are for). Until it listens, the engine's port proxy accepts and then resets the
/// connection; that, a refusal and a timeout are retried for up to 15 s, any answer is returned.
/// </summary>
public static class ServingPort
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static async Task<HttpResponseMessage> GetAsync(int port, string path = "/")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                return await http.GetAsync($"http://127.0.0.1:{port}{path}");
            }
            catch (Exception e) when ((e is HttpRequestException || e is TaskCanceledException) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public static async Task<string> GetStringAsync(int port, string path = "/")
    {
        using var response = await GetAsync(port, path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }
}
