using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messaging.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard's create form in a real browser against the whole system: the caps of the chosen image and the quota
/// left shown beside the limits are the figures the API gives (<c>GET /api/v1/images</c>, the running worker's report,
/// and <c>GET /api/v1/me</c>).
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class DashboardCreateTests(SystemFixture system, DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    [Fact]
    public async Task The_create_form_shows_the_image_caps_and_the_quota_left_as_the_API_tells_them()
    {
        // A token with a quota, and one service's worth of it in use (as the worker's reservations count it).
        using var admin = system.Api();
        var created = await (await admin.PostAsJsonAsync("/api/v1/tokens", new
        {
            name = $"dash-quota-{Guid.NewGuid():N}"[..20], scopes = new[] { "services:read", "services:write" }, max_services = 4, max_memory = "1g", max_cpus = 2,
        })).Content.ReadFromJsonAsync<JsonElement>();
        var token = created.GetProperty("token").GetString()!;
        var owner = created.GetProperty("details").GetProperty("id").GetString()!;
        await system.Redis.HashSetAsync($"{system.KeyPrefix}usage:{owner}", [new("services", 1), new("memory_bytes", 128L << 20), new("millicpus", 500)]);

        using var api = system.Api(token);
        var me = await api.GetFromJsonAsync<JsonElement>("/api/v1/me");
        var remaining = me.GetProperty("remaining");
        Assert.Equal((3, 896L << 20, 1.5), (remaining.GetProperty("services").GetInt32(), remaining.GetProperty("memory_bytes").GetInt64(), remaining.GetProperty("cpus").GetDouble()));
        var images = await api.GetFromJsonAsync<JsonElement>("/api/v1/images");
        Assert.True(images.GetProperty("reported").GetBoolean(), "the worker reported no capacity");
        JsonElement Entry(string image) => images.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("image").GetString() == image);
        var nginx = Entry("nginx:alpine");
        var kv = Entry("messaging-test/kv:latest");

        await using var tab = await browser.OpenAsync(system.ApiAddress);
        var page = tab.Page;
        await tab.SignInAsync(token);
        await page.GetByRole(AriaRole.Link, new() { Name = "Create", Exact = true }).ClickAsync();

        // The default image's caps and defaults, and the quota left, beside the fields and in the quota panel.
        await ExpectFigure(page, "#memory-cap", nginx.GetProperty("max_memory_bytes").GetInt64(), "512 MiB");
        await ExpectFigure(page, "#memory-default", nginx.GetProperty("default_memory_bytes").GetInt64(), "128 MiB");
        await ExpectFigure(page, "#cpu-cap", nginx.GetProperty("max_cpus").GetDouble(), "1 CPU");
        await ExpectFigure(page, "#cpu-default", nginx.GetProperty("default_cpus").GetDouble(), "0.5 CPU");
        await ExpectFigure(page, "#memory-left", 896L << 20, "896 MiB");
        await ExpectFigure(page, "#cpu-left", 1.5, "1.5 CPU");
        await ExpectFigure(page, "#quota-services-left", 3, "3");
        await ExpectFigure(page, "#quota-memory-left", 896L << 20, "896 MiB");
        await ExpectFigure(page, "#quota-cpus-left", 1.5, "1.5");
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        // Another image: its own caps; a limit above the cap and an image off the allowlist are flagged before sending.
        await page.GetByLabel("Image", new() { Exact = true }).FillAsync("messaging-test/kv:latest");
        await ExpectFigure(page, "#memory-cap", kv.GetProperty("max_memory_bytes").GetInt64(), "256 MiB");
        await ExpectFigure(page, "#cpu-cap", kv.GetProperty("max_cpus").GetDouble(), "0.5 CPU");
        await page.GetByLabel("Memory limit").FillAsync("300m");
        await Expect(page.Locator("#memory_limit-limits")).ToContainTextAsync("Above the cap");
        await page.GetByLabel("Memory limit").FillAsync("200m");
        await Expect(page.Locator("#memory_limit-limits")).Not.ToContainTextAsync("Above the cap");
        await page.GetByLabel("Image", new() { Exact = true }).FillAsync("ubuntu:latest");
        await Expect(page.Locator("#image-allowlist")).ToContainTextAsync("not on the worker's allowlist");
        await Expect(page.Locator("#memory-cap")).ToHaveCountAsync(0);

        // A template: the caps of the image it runs.
        await page.GetByLabel("a template").CheckAsync();
        await page.Locator("#template").SelectOptionAsync("kv-store@1");
        await ExpectFigure(page, "#template-memory-cap-0", kv.GetProperty("max_memory_bytes").GetInt64(), "256 MiB");
        await Expect(page.Locator("#template-caps")).ToContainTextAsync("3 services");
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());
        Assert.DoesNotContain(tab.RequestedUrls, url => url.Contains(token));
        Assert.Empty(tab.PolicyViolations());
    }

    private static async Task ExpectFigure(IPage page, string selector, double value, string text)
    {
        var figure = page.Locator(selector);
        await Expect(figure).ToHaveTextAsync(text);
        Assert.Equal(value, double.Parse((await figure.GetAttributeAsync("data-value"))!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
