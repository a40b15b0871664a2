using Microsoft.Extensions.Options;

namespace Messaging.ServiceDefaults.Secrets;

/// <summary>
/// Passwords read from files (compose secrets, mounted under <c>/run/secrets</c>) rather than taken from
/// environment variables, which <c>docker inspect</c>, <c>/proc/&lt;pid&gt;/environ</c> and the compose file
/// show to whoever can look at the container.
/// </summary>
public static class SecretFile
{
    /// <summary>
    /// The first line of <paramref name="path"/>. A missing, unreadable or empty file stops the host at start
    /// with <paramref name="setting"/> named (options built in a post-configure step surface as validation errors).
    /// </summary>
    public static string Read(string path, string setting)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(setting, $"cannot read '{path}': {e.Message}");
        }
        var secret = text.Split('\n', 2)[0].TrimEnd('\r');
        return secret.Length > 0 ? secret : throw Failure(setting, $"'{path}' is empty.");
    }

    private static OptionsValidationException Failure(string setting, string problem) =>
        new(setting, typeof(string), [$"{setting}: {problem}"]);
}
