using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Messaging.Stacks.Yaml;

/// <summary>
/// Reads one YAML document into <see cref="YamlNode"/>s from YamlDotNet's event stream, with the limits of
/// <see cref="YamlLimits"/> enforced while reading rather than after: the size of every node counts its aliases as
/// the copies a consumer would see, so a file that expands past the limit is refused before anything is expanded;
/// nesting is checked on the way in and the tree is built with an explicit stack, so no input reaches a recursion
/// limit. Tags are refused (no type the file chooses); aliases may point only at finished anchors, so no cycle.
/// </summary>
internal static class BoundedYamlReader
{
    public static YamlNode Read(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > YamlLimits.MaxFileBytes)
            throw new YamlFileException("", $"The file is larger than {YamlLimits.MaxFileBytes / 1024} KiB.");
        var state = new ReaderState();
        var parser = new Parser(new StringReader(text));
        try
        {
            while (parser.MoveNext())
                state.Take(parser.Current!);
        }
        catch (YamlException e)
        {
            throw new YamlFileException("", $"Not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {Reason(e)}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws InvalidOperationException, not a YamlException, on some malformed flow
            // mappings (hostile/scanner-invalid-operation.yml); whatever the library throws on bad input is a bad file.
            throw new YamlFileException("", $"Not valid YAML near line {parser.Current?.Start.Line ?? 0}: {e.Message}");
        }
        return state.Root ?? throw new YamlFileException("", "The file is empty.");
    }

    // YamlDotNet puts the position in front of its message; the position is said once, ours.
    private static string Reason(YamlException e) =>
        e.Message.LastIndexOf(") - (", StringComparison.Ordinal) is var at and >= 0 && e.Message.IndexOf("): ", at, StringComparison.Ordinal) is var colon and >= 0
            ? e.Message[(colon + 3)..]
            : e.Message;

    private sealed class ReaderState
    {
        private readonly Stack<Frame> _open = new();
        private readonly Dictionary<string, (YamlNode Node, long Size)> _anchors = new(StringComparer.Ordinal);
        private int _documents;

        public YamlNode? Root { get; private set; }

        public void Take(ParsingEvent e)
        {
            switch (e)
            {
                case DocumentStart start when !start.IsImplicit || _documents > 0:
                    if (++_documents > 1)
                        throw new YamlFileException("", "The file holds more than one YAML document.");
                    break;
                case DocumentStart:
                    _documents++;
                    break;
                case Scalar scalar:
                    RefuseTag(scalar);
                    Finish(new YamlScalar(scalar.Value, scalar.Style != ScalarStyle.Plain, Line(e)), 1, scalar.Anchor);
                    break;
                case SequenceStart start:
                    RefuseTag(start);
                    Open(new Frame(Line(e), start.Anchor, IsMapping: false));
                    break;
                case MappingStart start:
                    RefuseTag(start);
                    Open(new Frame(Line(e), start.Anchor, IsMapping: true));
                    break;
                case SequenceEnd or MappingEnd:
                    var frame = _open.Pop();
                    Finish(frame.Build(CurrentPath), frame.Size, frame.Anchor);
                    break;
                case AnchorAlias alias:
                    if (!_anchors.TryGetValue(alias.Value.Value, out var anchored))
                        throw new YamlFileException(CurrentPath(), $"Alias *{alias.Value.Value} names no anchor defined before it (line {Line(e)}).");
                    Finish(anchored.Node, anchored.Size, AnchorName.Empty);
                    break;
            }
        }

        private void Open(Frame frame)
        {
            if (_open.Count >= YamlLimits.MaxDepth)
                throw new YamlFileException(CurrentPath(), $"Nested deeper than {YamlLimits.MaxDepth} levels.");
            _open.Push(frame);
        }

        private void Finish(YamlNode node, long size, AnchorName anchor)
        {
            if (!anchor.IsEmpty)
                _anchors[anchor.Value] = (node, size);
            if (_open.Count == 0)
            {
                Root = node;
                CheckSize(size);
                return;
            }
            var parent = _open.Peek();
            parent.Add(node, size, CurrentPath);
            CheckSize(_open.Sum(f => f.Size));
        }

        private void CheckSize(long size)
        {
            if (size > YamlLimits.MaxExpandedNodes)
                throw new YamlFileException("", $"The file expands to more than {YamlLimits.MaxExpandedNodes} nodes once its aliases are counted.");
        }

        private string CurrentPath() => PathOf(_open.Reverse());

        private static string PathOf(IEnumerable<Frame> frames)
        {
            var path = new StringBuilder();
            foreach (var frame in frames)
            {
                var step = frame.Step();
                if (step is null)
                    break;
                if (!step.StartsWith('[') && path.Length > 0)
                    path.Append('.');
                path.Append(step);
            }
            return path.ToString();
        }

        private void RefuseTag(NodeEvent e)
        {
            if (!e.Tag.IsEmpty)
                throw new YamlFileException(CurrentPath(), $"Tags ({e.Tag.Value}) are not accepted (line {Line(e)}): write plain values.");
        }

        private static int Line(ParsingEvent e) => (int)e.Start.Line;
    }

    /// <summary>A mapping or sequence being read, and the expanded size of what it holds so far.</summary>
    private sealed class Frame(int line, AnchorName anchor, bool IsMapping)
    {
        private const string MergeKey = "<<";
        private readonly List<YamlNode> _items = [];
        private readonly List<KeyValuePair<string, YamlNode>> _entries = [];
        private readonly List<(YamlNode Source, string Path)> _merges = [];
        private string? _key;

        public AnchorName Anchor { get; } = anchor;
        public long Size { get; private set; } = 1;

        /// <summary>This frame's part of the path of the node being read in it, or null when that is not known yet.</summary>
        public string? Step() => IsMapping ? _key : $"[{_items.Count}]";

        public void Add(YamlNode node, long size, Func<string> path)
        {
            Size = Math.Min(Size + size, long.MaxValue / 2);
            if (!IsMapping)
            {
                _items.Add(node);
                return;
            }
            if (_key is null)
            {
                if (node is not YamlScalar key)
                    throw new YamlFileException(path(), "Keys must be plain text, not lists or mappings.");
                if (key.Value != MergeKey && _entries.Any(e => e.Key == key.Value))
                {
                    _key = key.Value;
                    throw new YamlFileException(path(), "The key is written twice.");
                }
                _key = key.Value;
                return;
            }
            if (_key == MergeKey)
                _merges.Add((node, path()));
            else
                _entries.Add(new(_key, node));
            _key = null;
        }

        public YamlNode Build(Func<string> path) =>
            IsMapping ? new YamlMapping(Merged(), line) : new YamlSequence(_items, line);

        /// <summary>Explicit keys first; then merge keys (<c>&lt;&lt;: *base</c>, or a list of them), earlier sources winning.</summary>
        private List<KeyValuePair<string, YamlNode>> Merged()
        {
            var entries = new List<KeyValuePair<string, YamlNode>>(_entries);
            foreach (var (source, at) in _merges)
            {
                var mappings = source switch
                {
                    YamlMapping mapping => [mapping],
                    YamlSequence list when list.Items.All(i => i is YamlMapping) => list.Items.Cast<YamlMapping>().ToList(),
                    _ => throw new YamlFileException(at, "A merge key (<<) takes a mapping or a list of mappings."),
                };
                foreach (var entry in mappings.SelectMany(m => m.Entries))
                {
                    if (entries.All(e => e.Key != entry.Key))
                        entries.Add(entry);
                }
            }
            return entries;
        }
    }
}
