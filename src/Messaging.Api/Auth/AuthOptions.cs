using System.ComponentModel.DataAnnotations;

namespace Messaging.Api.Auth;

/// <summary>Bearer tokens. Section <c>Auth</c>. Only hashes are configured; a token itself is never stored.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>Tokens known by the SHA-256 (hex) of their value.</summary>
    public List<ConfiguredToken> Tokens { get; set; } = [];

    /// <summary>
    /// A plain admin token for the first start (e.g. from the <c>Auth__BootstrapToken</c> environment
    /// variable). It is hashed at start-up and never logged. At least 32 characters.
    /// </summary>
    public string? BootstrapToken { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(BootstrapToken) && BootstrapToken.Length < 32)
            yield return new ValidationResult("Auth:BootstrapToken must be at least 32 characters (128 random bits or more).");
        foreach (var token in Tokens)
        {
            if (string.IsNullOrWhiteSpace(token.Id) || !System.Text.RegularExpressions.Regex.IsMatch(token.Id, "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))
                yield return new ValidationResult($"Auth:Tokens: id '{token.Id}' must be 1-64 letters, digits, '.', '_' or '-'.");
            if (token.Sha256.Length != 64 || !token.Sha256.All(Uri.IsHexDigit))
                yield return new ValidationResult($"Auth:Tokens '{token.Id}': Sha256 must be 64 hex digits.");
            foreach (var scope in token.Scopes.Where(s => !Scopes.All.Contains(s)))
                yield return new ValidationResult($"Auth:Tokens '{token.Id}': unknown scope '{scope}'.");
        }
        if (Tokens.Count == 0 && string.IsNullOrEmpty(BootstrapToken))
            yield return new ValidationResult("No token is configured: set Auth:BootstrapToken or Auth:Tokens.");
    }
}

public sealed class ConfiguredToken
{
    public string Id { get; set; } = "";
    public string Sha256 { get; set; } = "";
    public List<string> Scopes { get; set; } = [];
}
