using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messaging.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard's builds view in a real browser against the whole system: a build started from the form shows in the
/// queue and its log streams into the page while it runs (the secret argument masked), ending with its outcome;
/// a refused argument's message shows at its field.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class DashboardBuildTests(SystemFixture system, DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    [Fact]
    public async Task A_build_started_in_the_dashboard_streams_its_log_live_with_the_secret_masked()
    {
        const string secret = "DashSecretToken77";
        await using var tab = await browser.OpenAsync(system.ApiAddress);
        var page = tab.Page;
        await tab.SignInAsync(SystemFixture.AliceToken);
        await page.GetByRole(AriaRole.Link, new() { Name = "Builds", Exact = true }).ClickAsync();

        // An argument line that is not NAME=value: refused at the field before anything is sent.
        await page.GetByLabel("Context", new() { Exact = true }).FillAsync("it-live");
        await page.GetByLabel("Build arguments").FillAsync("no equals sign");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start build" }).ClickAsync();
        await Expect(page.Locator("#args-error")).ToContainTextAsync("NAME=value");
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());

        await page.GetByLabel("Build arguments").FillAsync($"TOKEN={secret}\nNONCE={Guid.NewGuid():N}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start build" }).ClickAsync();
        var id = await tab.WaitForRouteAsync("builds");

        // Live: the first tick is on the page while the stream is still following (the build writes two more, a second apart).
        var log = page.GetByRole(AriaRole.Log);
        await Expect(log).ToContainTextAsync("tick 1 with [secret]", new() { Timeout = 60_000 });
        Assert.Equal("following", await page.Locator(".build-log [role=status]").InnerTextAsync());
        Assert.DoesNotContain("tick 3", await log.InnerTextAsync());
        await Expect(page.Locator($"tr[data-build-id='{id}'] [data-status=succeeded]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.Locator(".build-log [role=status]")).ToContainTextAsync("succeeded: messaging-builds/it-tests/it-live:");
        await Expect(log).ToContainTextAsync("tick 3 with [secret]");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Empty(await tab.SeriousAccessibilityViolationsAsync());
        Assert.Empty(tab.PolicyViolations());
        Assert.DoesNotContain(tab.RequestedUrls, url => url.Contains(SystemFixture.AliceToken));
    }
}
