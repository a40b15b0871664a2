using Messaging.State.Locks;
using Messaging.Worker.Containers;

namespace Messaging.Worker.Provisioning;

/// <summary>
/// Makes sure the services network exists before the first creation: once per worker, and one worker of
/// this installation at a time. The engine (API 1.41) accepts two networks with one name, and then every
/// create fails as ambiguous; 8 consumers of one worker, or two workers started together on a fresh
/// engine, each made one. The gate serialises this worker's consumers, the Redis lock the workers. After
/// the first success it costs nothing.
/// </summary>
public sealed class ServicesNetwork(IContainerRuntime containers, InstallationLocks locks)
{
    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready)
            return;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_ready)
                return;
            await using (await locks.AcquireNetworkAsync(LockTtl, LockWait, cancellationToken))
                await containers.EnsureNetworkAsync(cancellationToken);
            _ready = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}
