using System.Security.Cryptography;
using Messaging.State.Tokens;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Auth;

/// <summary>
/// The bootstrap admin token's hash, kept current without a restart: when it comes from
/// <c>Auth:BootstrapTokenFile</c>, writing a new token into that file (a rotated Docker secret) replaces the
/// old one within <see cref="RecheckAfter"/>; when it comes from reloadable configuration, a change of
/// <c>Auth:BootstrapToken</c> does the same. A file that vanishes or holds a token under 32 characters
/// disables the bootstrap token rather than keeping the old one alive.
/// </summary>
public sealed class BootstrapToken
{
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(1);

    private readonly IOptionsMonitor<AuthOptions> _options;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private byte[]? _hash;
    private DateTime _fileWrittenAt;
    private long _checkedAt;

    public BootstrapToken(IOptionsMonitor<AuthOptions> options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
        _hash = Load(options.CurrentValue);
        _checkedAt = clock.GetTimestamp();
        options.OnChange(changed => { lock (_gate) _hash = Load(changed); });
    }

    /// <summary>True when <paramref name="presentedHash"/> is the current bootstrap token's (constant time).</summary>
    public bool Matches(byte[] presentedHash)
    {
        var current = Current();
        return current is not null && CryptographicOperations.FixedTimeEquals(current, presentedHash);
    }

    private byte[]? Current()
    {
        var file = _options.CurrentValue.BootstrapTokenFile;
        if (!string.IsNullOrEmpty(_options.CurrentValue.BootstrapToken) || string.IsNullOrEmpty(file)
            || _clock.GetElapsedTime(Interlocked.Read(ref _checkedAt)) < RecheckAfter)
            return _hash;
        lock (_gate)
        {
            _checkedAt = _clock.GetTimestamp();
            var writtenAt = File.Exists(file) ? File.GetLastWriteTimeUtc(file) : DateTime.MinValue;
            if (writtenAt != _fileWrittenAt)
                _hash = Load(_options.CurrentValue);
            return _hash;
        }
    }

    private byte[]? Load(AuthOptions options)
    {
        var file = options.BootstrapTokenFile;
        _fileWrittenAt = !string.IsNullOrEmpty(file) && File.Exists(file) ? File.GetLastWriteTimeUtc(file) : DateTime.MinValue;
        var token = options.ResolveBootstrapToken();
        return token is { Length: >= AuthOptions.MinimumTokenLength } ? TokenStore.Hash(token) : null;
    }
}
