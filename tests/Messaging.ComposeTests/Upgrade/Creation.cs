using System.Net;
using System.Text;
using System.Text.Json;

namespace Messaging.ComposeTests.Upgrade;

/// <summary>
/// One creation as a real client makes it through an upgrade: one <c>Idempotency-Key</c>, the same body each time,
/// and a retry on what a replaced API causes (connection refused or reset, a time-out, <c>503</c>, <c>409</c>
/// "Request in progress" of the attempt the old API was still answering) until the API answers with a service id.
/// What it was answered is kept, every time: a key answered with two service ids would be a duplicate.
/// </summary>
public sealed class Creation(string run, int index)
{
    public string Key { get; } = $"upgrade-{run}-{index:D2}";
    public string Name { get; } = $"up-{run}-{index:D2}";

    /// <summary>The service id of every answer that named one (202, or 503 "Outcome unknown").</summary>
    public List<Guid> Answers { get; } = [];

    public Guid? ServiceId => Answers.Count > 0 ? Answers[0] : null;
    public int Attempts { get; private set; }
    public int ConnectionErrors { get; private set; }
    public int Unavailable { get; private set; }
    public int InProgress { get; private set; }
    public bool OutcomeUnknown { get; private set; }

    /// <summary>An answer no retry changes (400, 409 "Name taken", 422): the creation did not happen.</summary>
    public string? Refused { get; private set; }

    /// <summary>The record once it reached running or failed (as the API shows it).</summary>
    public JsonElement? Final { get; set; }

    public string? FinalStatus => Final?.GetProperty("status").GetString();

    /// <summary>The body: tiny limits, so 50 services fit the host's CPU budget (2 cores here) beside anything else.</summary>
    private string Body => $$"""{"service_name":"{{Name}}","image":"nginx:alpine","memory_limit":"32m","cpu_limit":0.02}""";

    /// <summary>Posts until the API names the service, a refusal, or <paramref name="deadline"/>.</summary>
    public async Task SubmitAsync(Func<HttpClient> api, DateTime deadline)
    {
        using var client = api();
        while (DateTime.UtcNow < deadline)
        {
            Attempts++;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/services")
                {
                    Content = new StringContent(Body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", Key);
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var json = text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement : default;
                switch (response.StatusCode)
                {
                    case HttpStatusCode.Accepted:
                        Answers.Add(json.GetProperty("service_id").GetGuid());
                        return;
                    case HttpStatusCode.ServiceUnavailable when json.ValueKind == JsonValueKind.Object && json.TryGetProperty("service_id", out var id):
                        // Handed to the broker without a confirm: the service may still start; the key answers the same.
                        OutcomeUnknown = true;
                        Answers.Add(id.GetGuid());
                        return;
                    case HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout:
                        Unavailable++;
                        break;
                    case HttpStatusCode.Conflict when json.ValueKind == JsonValueKind.Object && json.GetProperty("title").GetString() == "Request in progress":
                        InProgress++;
                        break;
                    default:
                        Refused = $"{(int)response.StatusCode}: {text}";
                        return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                ConnectionErrors++; // the API is being replaced: its port refuses, resets or does not answer
            }
            await Task.Delay(500);
        }
    }

    /// <summary>Reads the record until it is running or failed (retrying through the API's replacement), or <paramref name="deadline"/>.</summary>
    public async Task WaitFinalAsync(Func<HttpClient> api, DateTime deadline)
    {
        if (ServiceId is not { } id)
            return;
        using var client = api();
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync($"/api/v1/services/{id}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                    if (record.GetProperty("status").GetString() is "running" or "failed")
                    {
                        Final = record;
                        return;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
            }
            await Task.Delay(1000);
        }
    }
}
