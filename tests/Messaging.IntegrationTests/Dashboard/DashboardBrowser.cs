using System.Text.Json;
using System.Text.RegularExpressions;
using Messaging.Testing;
using Microsoft.Playwright;

namespace Messaging.IntegrationTests.Dashboard;

/// <summary>
/// Debian's chromium (<c>/usr/bin/chromium</c>, installed by infra/services-up.sh; no browser is downloaded), driven
/// headless by Playwright, one per test class. Each page records what would betray a leak or a broken page: every URL
/// it asked (the token must never be in one) and the console's Content-Security-Policy complaints.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    /// <summary>The browser: <c>MESSAGING_TEST_CHROMIUM</c>, else Debian's.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("MESSAGING_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>axe-core from npm, pinned in Dashboard/axe/package-lock.json (<c>npm ci</c> there: infra/services-up.sh does it).</summary>
    public static string AxePath => Path.Combine(TestPaths.SolutionDirectory, "tests", "Messaging.IntegrationTests", "Dashboard", "axe",
        "node_modules", "axe-core", "axe.min.js");

    private IPlaywright _playwright = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install chromium (infra/services-up.sh does).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root (CI) chromium refuses to start with its sandbox; /dev/shm is small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
    }

    /// <summary>A fresh tab (own session storage) of the dashboard at <paramref name="width"/> px.</summary>
    public async Task<DashboardPage> OpenAsync(Uri api, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BaseURL = api.ToString() });
        var page = await context.NewPageAsync();
        var opened = new DashboardPage(context, page);
        await page.GotoAsync("/");
        return opened;
    }
}

/// <summary>One tab of the dashboard and what it did.</summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;

    public DashboardPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Request += (_, request) => { lock (RequestedUrls) RequestedUrls.Add(request.Url); };
        page.Console += (_, message) => { lock (Console) Console.Add($"{message.Type}: {message.Text}"); };
    }

    public IPage Page { get; }

    /// <summary>Every URL the page asked for (documents, scripts, API calls).</summary>
    public List<string> RequestedUrls { get; } = [];

    /// <summary>Every console message, as "type: text".</summary>
    public List<string> Console { get; } = [];

    public async Task SignInAsync(string token)
    {
        // The sign-in form shows once the page's modules have run. A page that never got there (once in CI, with no
        // trace of why) is loaded again, once; a second failure says what the console said.
        var field = Page.GetByLabel("API token");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Assertions.Expect(field).ToBeVisibleAsync(new() { Timeout = 20_000 });
                break;
            }
            catch (PlaywrightException) when (attempt == 1)
            {
                await Page.ReloadAsync();
            }
            catch (PlaywrightException)
            {
                string[] console;
                lock (Console) console = [.. Console.TakeLast(10)];
                throw new Xunit.Sdk.XunitException($"The sign-in form never showed (at {Page.Url}); console: {string.Join(" | ", console)}");
            }
        }
        await field.FillAsync(token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#live-state")).ToHaveTextAsync("live", new() { Timeout = 15_000 });
    }

    /// <summary>axe-core run in the page; the violations of impact serious or critical, as text.</summary>
    public async Task<IReadOnlyList<string>> SeriousAccessibilityViolationsAsync()
    {
        // Evaluated through the debugging protocol, which the page's Content-Security-Policy does not govern: the page
        // itself stays under the policy it ships with.
        await Page.EvaluateAsync(await File.ReadAllTextAsync(DashboardBrowser.AxePath));
        var violations = await Page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join('; ')}`)
            """);
        return [.. violations.EnumerateArray().Select(v => v.GetString()!)];
    }

    /// <summary>Console lines that say the page broke its own Content-Security-Policy (an inline script or style, say).</summary>
    public IReadOnlyList<string> PolicyViolations()
    {
        lock (Console)
            return [.. Console.Where(m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))];
    }

    /// <summary>
    /// Waits for the page to move to the route <paramref name="route"/> (say <c>services</c>) with an id after a submit,
    /// and returns the id. Polls the address itself for up to a minute (a same-document hash change is not always seen
    /// as a navigation to wait for, and the submit waits on the broker's confirm); when it does not move on, says what the
    /// page showed instead (a refusal is in the form's alert) and its last console lines, not only that it timed out.
    /// </summary>
    public async Task<Guid> WaitForRouteAsync(string route)
    {
        try
        {
            await Assertions.Expect(Page).ToHaveURLAsync(new Regex($"#/{route}/[0-9a-f-]{{36}}$"), new() { Timeout = 60_000 });
        }
        catch (PlaywrightException)
        {
            var alerts = await Page.Locator(".notice, [role=alert]").AllInnerTextsAsync();
            string[] console;
            lock (Console) console = [.. Console.TakeLast(5)];
            throw new Xunit.Sdk.XunitException($"No #/{route}/<id> page after the submit (at {Page.Url}); the page shows: " +
                $"{string.Join(" | ", alerts.Where(a => a.Length > 0))}; console: {string.Join(" | ", console)}");
        }
        return Guid.Parse(Page.Url[(Page.Url.LastIndexOf('/') + 1)..]);
    }

    public async Task ScreenshotAsync(string path) =>
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
