// One scenario at a time: they share the broker (whose restart disturbs every connection), the port range
// and the container label, and each one measures the whole system.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
