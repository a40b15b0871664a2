using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Messaging.Audit;
using Messaging.Audit.Notifications;
using Messaging.Worker.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Messaging.UnitTests.Operations;

/// <summary>
/// The shipped alert rules (<c>infra/prometheus/alerts.yml</c>): valid for Prometheus, each alert firing and staying quiet
/// on recorded series as <c>alerts.test.yml</c> says (both through <c>promtool</c>, from Debian's <c>prometheus</c>
/// package, which <c>infra/services-up.sh</c> installs), and every metric of the system's own that they read really
/// exported under that name.
/// </summary>
public sealed partial class AlertRulesTests
{
    private static readonly string RulesDirectory = Path.Combine(AppContext.BaseDirectory, "Prometheus");

    [Fact]
    public async Task Promtool_finds_the_rules_valid()
    {
        var (exitCode, output) = await Promtool("check", "rules", "alerts.yml");
        Assert.True(exitCode == 0, $"promtool check rules alerts.yml failed:\n{output}");
    }

    [Fact]
    public async Task Every_alert_fires_and_stays_quiet_as_its_promtool_unit_tests_say()
    {
        var (exitCode, output) = await Promtool("test", "rules", "alerts.test.yml");
        Assert.True(exitCode == 0, $"promtool test rules alerts.test.yml failed:\n{output}");
    }

    [Fact]
    public void Every_alert_has_a_promtool_test_and_a_runbook()
    {
        var rules = File.ReadAllText(Path.Combine(RulesDirectory, "alerts.yml"));
        var tests = File.ReadAllText(Path.Combine(RulesDirectory, "alerts.test.yml"));
        var alerts = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(alerts);
        foreach (var alert in alerts)
        {
            Assert.Contains($"alertname: {alert}", tests);
            Assert.Contains($"runbook: \"docs/OPERATIONS.md#{alert.ToLowerInvariant()}\"", rules);
        }
    }

    [Fact]
    public async Task Every_metric_of_ours_the_rules_read_is_exported_under_that_name()
    {
        // The worker's and the audit host's real instruments, each recorded once, behind the same Prometheus listener the
        // hosts open (Metrics:PrometheusPort): its names are the exporter's (dots to underscores, _total on counters).
        using var worker = new WorkerTelemetry();
        using var webhooks = new WebhookMetrics();
        var port = FreePort();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(WorkerTelemetry.Name, AuditTelemetry.Name)
            .AddPrometheusHttpListener(listener => (listener.Host, listener.Port) = ("localhost", port))
            .Build();
        worker.Created.Add(1);
        worker.Failed.Add(1, new KeyValuePair<string, object?>("reason", "docker_error"));
        worker.ObserveFreePorts(() => 7);
        worker.ObserveSupervision(() => 0, () => 0);
        worker.ObserveQuotaNear(() => 1);
        webhooks.FailedAttempts.Add(1);
        webhooks.Settled(delivered: false);

        using var http = new HttpClient();
        var scrape = await http.GetStringAsync($"http://localhost:{port}/metrics");
        var exported = ExportedName().Matches(scrape).Select(m => m.Groups[1].Value).ToHashSet();

        var read = OurMetric().Matches(File.ReadAllText(Path.Combine(RulesDirectory, "alerts.yml")))
            .Select(m => m.Value).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "messaging_services_failed_total", "messaging_services_created_total", "messaging_ports_free",
            "messaging_services_crash_looping", "messaging_webhooks_deliveries_total", "messaging_webhooks_attempts_failed_total",
            "messaging_quota_owners_near_limit",
        }, read);
        Assert.All(read, name => Assert.True(exported.Contains(name), $"alerts.yml reads {name}, which is not exported; exported: {string.Join(", ", exported)}"));
        Assert.Contains("""messaging_webhooks_deliveries_total{otel_scope_name="Messaging.Audit",outcome="failed"}""", scrape.Replace(",otel_scope_version=\"\"", ""));
    }

    private static async Task<(int ExitCode, string Output)> Promtool(params string[] arguments)
    {
        var promtool = FindOnPath("promtool");
        Assert.True(promtool is not null,
            "promtool is not installed: it comes with Debian's 'prometheus' package (apt-get install prometheus), which infra/services-up.sh installs.");
        var start = new ProcessStartInfo(promtool!) { WorkingDirectory = RulesDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, command))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"- alert: (\w+)")]
    private static partial Regex AlertName();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex ExportedName();

    [GeneratedRegex(@"\bmessaging_[a-z_]+")]
    private static partial Regex OurMetric();
}
