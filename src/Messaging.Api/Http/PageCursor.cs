using System.Text;

namespace Messaging.Api.Http;

/// <summary>
/// An opaque paging cursor: where a page stopped, behind a version prefix and base64url, so that clients pass it
/// back untouched and a forged one is recognised (<see cref="QueryChecks.Cursor"/>).
/// </summary>
public sealed class PageCursor(string version, Func<string, bool> isPosition)
{
    private readonly string _prefix = version + ":";

    public string Encode(string position) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(_prefix + position)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public bool TryDecode(string cursor, out string position)
    {
        position = "";
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(padded));
            if (!text.StartsWith(_prefix, StringComparison.Ordinal) || !isPosition(text[_prefix.Length..]))
                return false;
            position = text[_prefix.Length..];
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
