using System.Text;

namespace Messaging.Worker.Builds;

/// <summary>
/// The log of one build as the engine streams it: split into lines, secret values masked before anything keeps or
/// shows a line, the last <see cref="TailLines"/> lines kept (each cut to <see cref="MaxLineLength"/>), and the total
/// counted against the context's cap (<see cref="LimitExceeded"/> then, and the build is stopped).
/// </summary>
public sealed class BuildLog(IReadOnlyList<string> secrets, long maxBytes)
{
    public const int TailLines = 40;
    public const int MaxLineLength = 400;
    public const string Mask = "[secret]";

    private readonly Queue<string> _tail = new();
    private readonly StringBuilder _partial = new();
    private readonly object _gate = new();
    private long _bytes;
    private long _lines;

    /// <summary>Called with each complete line (masked) as it arrives: the live relay.</summary>
    public event Action<string>? Line;

    /// <summary>Whether the build wrote more than its cap.</summary>
    public bool LimitExceeded { get; private set; }

    /// <summary>Lines kept so far (the partial last line not counted until <see cref="Complete"/>): line N of the live relay is the Nth.</summary>
    public long LineCount => Interlocked.Read(ref _lines);

    /// <summary>Bytes of log received so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Takes a chunk of the engine's stream (which need not end at a line break).</summary>
    public void Append(string chunk)
    {
        if (Interlocked.Add(ref _bytes, Encoding.UTF8.GetByteCount(chunk)) > maxBytes)
            LimitExceeded = true;
        List<string> complete = [];
        lock (_gate)
        {
            foreach (var c in chunk)
            {
                if (c == '\n')
                {
                    complete.Add(_partial.ToString());
                    _partial.Clear();
                }
                else if (c != '\r' && _partial.Length < 64 * 1024)
                    _partial.Append(c);
            }
        }
        foreach (var line in complete)
            Keep(line);
    }

    /// <summary>A line of the worker's own (e.g. the engine's error message), masked like the rest.</summary>
    public void AppendLine(string line) => Append(line + "\n");

    /// <summary>
    /// Ends the log: a last line without its line break becomes a line (and goes to <see cref="Line"/>), so that the
    /// tail's lines are lines <c>LineCount - Tail().Count + 1</c> to <see cref="LineCount"/>.
    /// </summary>
    public void Complete()
    {
        string? last = null;
        lock (_gate)
        {
            if (_partial.Length > 0)
            {
                last = _partial.ToString();
                _partial.Clear();
            }
        }
        if (last is not null)
            Keep(last);
    }

    /// <summary>The last lines, masked, oldest first (the partial last line included).</summary>
    public IReadOnlyList<string> Tail()
    {
        lock (_gate)
        {
            var lines = _tail.ToList();
            if (_partial.Length > 0)
                lines.Add(Shorten(MaskSecrets(_partial.ToString())));
            return lines.Count > TailLines ? lines[^TailLines..] : lines;
        }
    }

    /// <summary>The text with every secret value replaced; for messages (an engine error can quote a RUN line).</summary>
    public string MaskSecrets(string text)
    {
        // Longest first, so a secret containing another is masked whole.
        foreach (var secret in secrets.OrderByDescending(s => s.Length))
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }

    private void Keep(string line)
    {
        var shown = Shorten(MaskSecrets(line));
        lock (_gate)
        {
            _tail.Enqueue(shown);
            while (_tail.Count > TailLines)
                _tail.Dequeue();
            _lines++;
        }
        Line?.Invoke(shown);
    }

    private static string Shorten(string line) => line.Length <= MaxLineLength ? line : line[..MaxLineLength] + "...";
}
