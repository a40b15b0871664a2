using Messaging.Contracts;
using Messaging.Worker.Policy;

namespace Messaging.Worker.Supervision;

/// <summary>
/// The health of one run of a container (one start) as the worker's probes find it, by the same rules as Docker's
/// HEALTHCHECK: <c>starting</c> until the first success; <c>healthy</c> after a success; <c>unhealthy</c> after
/// <see cref="ServiceHealthCheck.Retries"/> failures in a row; failures in the start period do not count unless the
/// check has already passed once.
/// </summary>
public sealed class ProbeHealth(ServiceHealthCheck check, DateTimeOffset startedAt)
{
    private int _failures;
    private bool _passedOnce;

    public DateTimeOffset StartedAt { get; } = startedAt;
    public string Status { get; private set; } = ServiceHealth.Starting;
    public string Output { get; private set; } = "";

    /// <summary>Takes one probe's result; true when it changed the status.</summary>
    public bool Record(bool passed, string output, DateTimeOffset at)
    {
        var before = Status;
        Output = output;
        if (passed)
        {
            _failures = 0;
            _passedOnce = true;
            Status = ServiceHealth.Healthy;
        }
        else if (_passedOnce || at - StartedAt >= check.StartPeriod)
        {
            if (++_failures >= check.Retries)
                Status = ServiceHealth.Unhealthy;
        }
        return Status != before;
    }
}
