using Messaging.State.Reservations;
using Messaging.Validation;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Policy;

/// <summary>
/// The host budget a reservation is checked against: <see cref="HostBudgetOptions"/>, with what is unset taken from
/// the engine's <c>/info</c> once (a host's memory and CPUs do not change under a running engine) and kept.
/// </summary>
public sealed class HostBudgets(IOptions<HostBudgetOptions> options, IContainerRuntime containers)
{
    private HostBudget? _budget;

    /// <summary>The budget; asks the engine on first use when the settings leave a part out (throws <see cref="ContainerRuntimeException"/> when it cannot).</summary>
    public async Task<HostBudget> GetAsync(CancellationToken cancellationToken)
    {
        if (_budget is { } known)
            return known;
        var settings = options.Value;
        long? memory = settings.Memory is { } text && MemorySize.TryParse(text, out var bytes) ? bytes : null;
        var cpus = settings.Cpus;
        if (memory is null || cpus is null)
        {
            var engine = await containers.GetResourcesAsync(cancellationToken);
            memory ??= engine.MemoryBytes;
            cpus ??= engine.Cpus;
        }
        return _budget = new HostBudget(memory, cpus);
    }
}
