using Microsoft.Extensions.Options;

namespace Messaging.Api.LiveEvents;

/// <summary>
/// Counts the open live streams of this process, per token and in all, so a greedy token (or many) cannot hold
/// connections, memory and Redis reads without bound. In memory: each API process has its own caps.
/// </summary>
public sealed class LiveStreamSlots(IOptions<LiveEventsOptions> options)
{
    private readonly Dictionary<string, int> _perToken = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _total;

    /// <summary>A slot for one stream of <paramref name="tokenId"/> (dispose it when the stream ends), or why there is none.</summary>
    public (IDisposable? Slot, string? Refusal) TryTake(string tokenId)
    {
        var limits = options.Value;
        lock (_gate)
        {
            if (_total >= limits.MaxStreams)
                return (null, $"This server already serves {limits.MaxStreams} live streams (LiveEvents:MaxStreams).");
            var mine = _perToken.GetValueOrDefault(tokenId);
            if (mine >= limits.MaxStreamsPerToken)
                return (null, $"This token already holds {limits.MaxStreamsPerToken} live streams (LiveEvents:MaxStreamsPerToken); close one first.");
            _perToken[tokenId] = mine + 1;
            _total++;
        }
        return (new Slot(this, tokenId), null);
    }

    /// <summary>Open streams now, all tokens together.</summary>
    public int Open => Volatile.Read(ref _total);

    private void Release(string tokenId)
    {
        lock (_gate)
        {
            _total--;
            if (_perToken[tokenId] <= 1)
                _perToken.Remove(tokenId);
            else
                _perToken[tokenId]--;
        }
    }

    private sealed class Slot(LiveStreamSlots slots, string tokenId) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                slots.Release(tokenId);
        }
    }
}
