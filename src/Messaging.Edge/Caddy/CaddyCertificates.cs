using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Messaging.Edge.Routing;
using Messaging.State.Edge;

namespace Messaging.Edge.Caddy;

/// <summary>
/// What Caddy knows about each hostname's certificate, read from the two places it writes it down. Caddy's admin API
/// does not tell, and its events app has no handler in Debian's build, so:
/// <list type="bullet">
/// <item>issued: the certificate in its storage, <c>{storage}/certificates/{issuer}/{host}/{host}.crt</c> (the newest of
/// any issuer), with its end of validity;</item>
/// <item>failed: its issuance log (<c>tls.obtain</c>, JSON lines, a sink of our configuration): the line "could not get
/// certificate from issuer" for the host, newer than any success;</item>
/// <item>pending: neither.</item>
/// </list>
/// The log is read on from where the last call stopped (from the start again when it was cut or rotated).
/// </summary>
internal sealed class CaddyCertificates(EdgeOptions options, TimeProvider clock)
{
    private readonly Dictionary<string, (DateTimeOffset At, string Error)> _failures = new(StringComparer.Ordinal);
    private long _logOffset;

    public IReadOnlyDictionary<string, CertificateState> Read(IReadOnlyCollection<string> hosts)
    {
        ReadIssuanceLog();
        var now = clock.GetUtcNow();
        var states = new Dictionary<string, CertificateState>(StringComparer.Ordinal);
        foreach (var host in hosts)
        {
            var expires = StoredCertificateExpiry(host);
            if (expires is { } end && end > now)
                states[host] = new CertificateState(RouteTls.Issued, end);
            else if (_failures.TryGetValue(host, out var failure))
                states[host] = new CertificateState(RouteTls.Failed, null, failure.Error, failure.At);
            else
                states[host] = new CertificateState(RouteTls.Pending, null);
        }
        return states;
    }

    private DateTimeOffset? StoredCertificateExpiry(string host)
    {
        var root = Path.Combine(options.StorageDirectory, "certificates");
        if (!Directory.Exists(root))
            return null;
        DateTimeOffset? latest = null;
        foreach (var issuer in Directory.EnumerateDirectories(root))
        {
            var file = Path.Combine(issuer, host, host + ".crt");
            if (!File.Exists(file))
                continue;
            try
            {
                // The file is the chain, leaf first.
                using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(file));
                var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                if (latest is null || notAfter > latest)
                    latest = notAfter;
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
            {
                // Being written right now, or unreadable: counts as not there yet.
            }
        }
        return latest;
    }

    private void ReadIssuanceLog()
    {
        var path = options.IssuanceLogPath;
        if (!File.Exists(path))
            return;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < _logOffset)
                _logOffset = 0;
            stream.Seek(_logOffset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            long consumed = _logOffset;
            while (reader.ReadLine() is { } line)
            {
                // A line still being written has no newline yet: leave it for the next read.
                if (reader.EndOfStream && !EndsWithNewline(stream))
                    break;
                consumed += System.Text.Encoding.UTF8.GetByteCount(line) + 1;
                Apply(line);
            }
            _logOffset = consumed;
        }
        catch (IOException)
        {
            // Rotated under us: the next read starts over.
        }
    }

    private static bool EndsWithNewline(FileStream stream)
    {
        var position = stream.Position;
        stream.Seek(-1, SeekOrigin.End);
        var last = stream.ReadByte();
        stream.Seek(position, SeekOrigin.Begin);
        return last == '\n';
    }

    private void Apply(string line)
    {
        try
        {
            using var entry = JsonDocument.Parse(line);
            var root = entry.RootElement;
            if (!root.TryGetProperty("identifier", out var identifier) || identifier.GetString() is not { } host)
                return;
            var message = root.TryGetProperty("msg", out var msg) ? msg.GetString() : null;
            if (message == "certificate obtained successfully")
                _failures.Remove(host);
            else if (message == "could not get certificate from issuer")
            {
                var at = root.TryGetProperty("ts", out var ts) && ts.TryGetDouble(out var seconds)
                    ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))
                    : clock.GetUtcNow();
                var error = root.TryGetProperty("error", out var e) ? e.GetString() ?? "" : "";
                _failures[host] = (at, error);
            }
        }
        catch (JsonException)
        {
            // Not one of Caddy's JSON lines: ignore.
        }
    }

}
