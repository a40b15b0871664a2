using System.ComponentModel.DataAnnotations;

namespace Messaging.Api.Auth;

/// <summary>Section <c>Auth</c>. Tokens live in Redis (created through <c>/api/v1/tokens</c>); only the bootstrap token is configured.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Auth";
    public const int MinimumTokenLength = 32;

    /// <summary>
    /// The admin token for the first start, e.g. from the <c>Auth__BootstrapToken</c> environment variable.
    /// Hashed at start-up and kept only as a hash; never logged. At least 32 characters.
    /// </summary>
    public string? BootstrapToken { get; set; }

    /// <summary>
    /// A file holding the bootstrap token (a Docker secret, say); used when <see cref="BootstrapToken"/> is empty.
    /// Re-read when it changes: writing a new token into it rotates the bootstrap token without a restart.
    /// </summary>
    public string? BootstrapTokenFile { get; set; }

    /// <summary>The bootstrap token from the setting or the file, or null.</summary>
    public string? ResolveBootstrapToken() =>
        !string.IsNullOrEmpty(BootstrapToken) ? BootstrapToken
        : !string.IsNullOrEmpty(BootstrapTokenFile) && File.Exists(BootstrapTokenFile) ? ReadFile(BootstrapTokenFile)
        : null;

    private static string? ReadFile(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; } // being replaced right now: the next check reads it
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(BootstrapTokenFile) && string.IsNullOrEmpty(BootstrapToken) && !File.Exists(BootstrapTokenFile))
            yield return new ValidationResult($"Auth:BootstrapTokenFile '{BootstrapTokenFile}' does not exist.");
        var token = ResolveBootstrapToken();
        if (token is not null && token.Length < MinimumTokenLength)
            yield return new ValidationResult("The bootstrap token must be at least 32 characters (128 random bits or more).");
    }
}
