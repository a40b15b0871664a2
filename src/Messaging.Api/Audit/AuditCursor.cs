using System.Text;
using Messaging.State.Audit;

namespace Messaging.Api.Audit;

/// <summary>Opaque paging cursors over the audit streams: the entry id a page stopped at, base64url-wrapped.</summary>
public static class AuditCursor
{
    public static string Encode(string entryId) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("a1:" + entryId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string cursor, out string entryId)
    {
        entryId = "";
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(padded));
            if (!text.StartsWith("a1:", StringComparison.Ordinal) || !AuditStore.IsEntryId(text[3..]))
                return false;
            entryId = text[3..];
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
