using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messaging.IntegrationTests.Dashboard;

/// <summary>
/// The screenshots of docs/screenshots/ (shown in the README): every view at 1280 and 390 px, of real services on the
/// running system. Not in the default run: <c>bash infra/dashboard-screenshots.sh</c> makes them again.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Category", "Screenshots")]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class DashboardScreenshots(SystemFixture system, DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    private static string Folder => Environment.GetEnvironmentVariable("MESSAGING_SCREENSHOTS_DIR")
        ?? Path.Combine(TestPaths.SolutionDirectory, "docs", "screenshots");

    [Fact]
    public async Task Every_view_is_photographed_at_desktop_and_phone_width()
    {
        Directory.CreateDirectory(Folder);
        using var admin = system.Api();
        using var alice = system.Api(SystemFixture.AliceToken);
        var web = await CreateAsync(alice, "shop-web", "nginx:alpine", "64m");
        await CreateAsync(alice, "shop-api", "nginx:alpine", "96m");
        await CreateAsync(admin, "docs", "nginx:alpine", "32m");
        await CreateAsync(alice, "legacy", "ubuntu:latest", "64m"); // refused by the worker: failed, image_not_allowed
        var port = (await alice.GetFromJsonAsync<JsonElement>($"/api/v1/services/{web}")).GetProperty("host_port").GetInt32();
        foreach (var path in new[] { "/", "/index.html", "/missing" })
            (await ServingPort.GetAsync(port, path)).Dispose();

        // A finished build of the shipped sample context for the Builds view (its log is streamed again from the record).
        var build = await BuildAsync(admin, "hello-web", new Dictionary<string, string> { ["GREETING"] = "Hi there" });

        // A stack of two members for the Stacks view.
        var stack = await alice.PostAsJsonAsync("/api/v1/stacks", new
        {
            name = "store", compose_file = "services:\n  web:\n    image: nginx:alpine\n    ports: [\"80\"]\n  api:\n    image: nginx:alpine\n",
        });
        stack.EnsureSuccessStatusCode();
        var stackId = (await stack.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();
        await system.Events.WaitFor<Messaging.Contracts.StackCreated>(e => e.StackId == stackId, TimeSpan.FromSeconds(90));

        foreach (var width in new[] { 1280, 390 })
        {
            await using var tab = await browser.OpenAsync(system.ApiAddress, width, width > 600 ? 800 : 844);
            var page = tab.Page;
            await Expect(page.GetByLabel("API token")).ToBeVisibleAsync();
            await tab.ScreenshotAsync(Shot("sign-in", width));

            await tab.SignInAsync(SystemFixture.Token);
            await Expect(page.Locator($"tr[data-service-id='{web}'] td[data-cell=cpu]")).ToContainTextAsync("%", new() { Timeout = 30_000 });
            await tab.ScreenshotAsync(Shot("services", width));

            await page.GotoAsync($"/#/services/{web}");
            await Expect(page.Locator("pre.log")).ToContainTextAsync("response:404", new() { Timeout = 15_000 });
            await tab.ScreenshotAsync(Shot("service-detail", width));

            await page.GetByRole(AriaRole.Link, new() { Name = "Stacks", Exact = true }).ClickAsync();
            await Expect(page.Locator($"article[data-stack-id='{stackId}'] tbody [data-status=running]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            await tab.ScreenshotAsync(Shot("stacks", width));

            await page.GetByRole(AriaRole.Link, new() { Name = "Create", Exact = true }).ClickAsync();
            await Expect(page.Locator("#memory-cap")).ToBeVisibleAsync();
            await page.GetByLabel("Memory limit").FillAsync("1g"); // above nginx:alpine's cap: flagged beside the field
            await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Shop Web");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create service" }).ClickAsync();
            await Expect(page.Locator("#service_name-error")).ToBeVisibleAsync();
            await tab.ScreenshotAsync(Shot("create", width));

            await page.GotoAsync($"/#/builds/{build}");
            await Expect(page.Locator(".build-log [role=status]")).ToContainTextAsync("succeeded", new() { Timeout = 30_000 });
            await Expect(page.Locator($"tr[data-build-id='{build}']")).ToBeVisibleAsync();
            await tab.ScreenshotAsync(Shot("builds", width));

            await page.GetByRole(AriaRole.Link, new() { Name = "Admin", Exact = true }).ClickAsync();
            await Expect(page.Locator("tr[data-token-id]").First).ToBeVisibleAsync();
            await Expect(page.Locator("#ports-reserved")).ToBeVisibleAsync();
            await tab.ScreenshotAsync(Shot("admin", width));
        }
    }

    private static async Task<Guid> BuildAsync(HttpClient api, string context, Dictionary<string, string> args)
    {
        var response = await api.PostAsJsonAsync("/api/v1/builds", new { context, args });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("build_id").GetGuid();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if ((await api.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{id}")).GetProperty("status").GetString() is "succeeded" or "failed")
                return id;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Build {id} of {context} did not end within 120 s.");
    }

    private static string Shot(string view, int width) => Path.Combine(Folder, $"{view}-{width}.png");

    private static async Task<Guid> CreateAsync(HttpClient api, string name, string image, string memory)
    {
        var response = await api.PostAsJsonAsync("/api/v1/services", new { service_name = name, image, memory_limit = memory, cpu_limit = 0.25 });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? status = null;
        while (DateTime.UtcNow < deadline)
        {
            status = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}")).GetProperty("status").GetString();
            if (status is "running" or "failed")
                return id;
            await Task.Delay(200);
        }
        throw new TimeoutException($"{name} neither ran nor failed within 60 s (status {status}).");
    }
}
