using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Messaging.Stacks.Yaml;

/// <summary>
/// Writes a tree back as YAML text with YamlDotNet's emitter (never by string concatenation): a rendered template
/// travels to the worker as a compose file, which the worker parses again. Quoted scalars stay quoted, so a value put
/// in by a parameter reads back as the same text and can never become a key, a number or YAML's null.
/// </summary>
internal static class YamlWriter
{
    public static string Write(YamlNode root)
    {
        using var text = new StringWriter();
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        // Explicit stack rather than recursion, as for reading: depth is bounded there, but no input reaches a limit here either.
        var work = new Stack<object>();
        work.Push(root);
        while (work.Count > 0)
        {
            switch (work.Pop())
            {
                case ParsingEvent done:
                    emitter.Emit(done);
                    break;
                case YamlScalar scalar:
                    emitter.Emit(Scalar(scalar.Value, scalar.Quoted));
                    break;
                case YamlSequence list:
                    emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Block));
                    work.Push(new SequenceEnd());
                    for (var i = list.Items.Count - 1; i >= 0; i--)
                        work.Push(list.Items[i]);
                    break;
                case YamlMapping mapping:
                    emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
                    work.Push(new MappingEnd());
                    for (var i = mapping.Entries.Count - 1; i >= 0; i--)
                    {
                        work.Push(mapping.Entries[i].Value);
                        work.Push(Scalar(mapping.Entries[i].Key, quoted: true));
                    }
                    break;
            }
        }
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static Scalar Scalar(string value, bool quoted) =>
        new(AnchorName.Empty, TagName.Empty, value, quoted ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain, true, true);
}
