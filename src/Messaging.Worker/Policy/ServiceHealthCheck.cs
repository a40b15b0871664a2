using System.Globalization;
using System.Text.RegularExpressions;

namespace Messaging.Worker.Policy;

/// <summary>
/// An allowlist entry's health check. By default it is set on each of its containers as Docker's HEALTHCHECK: the engine
/// runs it inside the container and reports <c>health_status</c> events, which the supervisor follows. <c>http</c> and
/// <c>tcp</c> then run <c>wget</c> and <c>nc</c> in the image (busybox and alpine images have both). An image that can run
/// neither (a distroless or <c>FROM scratch</c> image) gets <see cref="ProbedBy"/> <c>worker</c>: the worker itself
/// connects to the container's address on its network (<see cref="Messaging.Worker.Supervision.WorkerProbes"/>).
/// </summary>
public sealed partial class ServiceHealthCheck
{
    public const string Http = "http";
    public const string Tcp = "tcp";
    public const string Command = "command";
    public const string ByContainer = "container";
    public const string ByWorker = "worker";

    /// <summary><c>container</c> (Docker's HEALTHCHECK, run inside the container) or <c>worker</c> (the worker probes <c>http</c>/<c>tcp</c> from outside).</summary>
    public string ProbedBy { get; set; } = ByContainer;

    /// <summary>Whether the engine runs this check in the container (else the worker probes it).</summary>
    public bool RunsInContainer => ProbedBy != ByWorker;

    /// <summary><c>http</c> (GET <see cref="Path"/> on the service's port answers <see cref="ExpectedStatus"/>), <c>tcp</c> (the port accepts a connection) or <c>command</c>.</summary>
    public string Kind { get; set; } = Http;

    /// <summary>The path an <c>http</c> check asks for.</summary>
    public string Path { get; set; } = "/";

    /// <summary>The status an <c>http</c> check expects; 200 accepts any 2xx (what <c>wget</c> calls success).</summary>
    public int ExpectedStatus { get; set; } = 200;

    /// <summary>A <c>command</c> check's program and arguments (exec form: no shell unless it names one); exit code 0 is healthy.</summary>
    public List<string>? Run { get; set; }

    /// <summary>Time between two probes.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A probe running longer than this fails.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive failures that make the container unhealthy.</summary>
    public int Retries { get; set; } = 3;

    /// <summary>Time a slow starter gets: failures in it do not count (a success ends it early).</summary>
    public TimeSpan StartPeriod { get; set; } = TimeSpan.Zero;

    /// <summary>What makes this check unusable, for <see cref="ImagePolicyOptions.Problems"/>.</summary>
    public IEnumerable<string> Problems(string image)
    {
        var where = $"Policy:AllowedImages '{image}': HealthCheck";
        if (Kind is not (Http or Tcp or Command))
            yield return $"{where}:Kind '{Kind}' must be http, tcp or command.";
        if (ProbedBy is not (ByContainer or ByWorker))
            yield return $"{where}:ProbedBy '{ProbedBy}' must be container or worker.";
        if (ProbedBy == ByWorker && Kind == Command)
            yield return $"{where}: a command check runs in the container; the worker can probe only http and tcp.";
        if (Kind == Http && !SafePath().IsMatch(Path))
            yield return $"{where}:Path '{Path}' must start with / and hold only letters, digits and /._~-%?=&.";
        if (Kind == Http && ExpectedStatus is < 100 or > 599)
            yield return $"{where}:ExpectedStatus must be an HTTP status (100-599).";
        if (Kind == Command && (Run is null || Run.Count == 0 || Run.Any(string.IsNullOrWhiteSpace)))
            yield return $"{where}:Run must list the command and its arguments for a command check.";
        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromHours(1))
            yield return $"{where}:Interval must be between 1 second and 1 hour.";
        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > Interval)
            yield return $"{where}:Timeout must be at least 1 second and at most the interval.";
        if (Retries is < 1 or > 100)
            yield return $"{where}:Retries must be 1-100.";
        if (StartPeriod < TimeSpan.Zero || StartPeriod > TimeSpan.FromHours(1))
            yield return $"{where}:StartPeriod must be between 0 and 1 hour.";
    }

    /// <summary>Docker's HEALTHCHECK test for a container publishing <paramref name="port"/>.</summary>
    public IReadOnlyList<string> Test(int port)
    {
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var url = $"http://127.0.0.1:{portText}{Path}";
        return Kind switch
        {
            Tcp => ["CMD", "nc", "-w", Math.Max(1, (int)Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "127.0.0.1", portText],
            Command => ["CMD", .. Run!],
            // wget fails on any status outside 2xx, which is the usual expectation; another one needs its status line.
            _ when ExpectedStatus is >= 200 and < 300 => ["CMD", "wget", "-q", "-O", "/dev/null", url],
            _ => ["CMD-SHELL", $"wget -S -O /dev/null '{url}' 2>&1 | grep -q '^  HTTP/1\\.[01] {ExpectedStatus.ToString(CultureInfo.InvariantCulture)} '"],
        };
    }

    // Goes into a single-quoted shell word for a non-2xx check: no quote, space or shell character may pass.
    [GeneratedRegex(@"^/[A-Za-z0-9/._~%?=&-]{0,255}\z")]
    private static partial Regex SafePath();
}
