namespace Messaging.Contracts;

/// <summary>Stops a running service's container. Answered by <see cref="ServiceStopped"/> or <see cref="ServiceCommandRejected"/>.</summary>
public sealed record StopService : ServiceLifecycleCommand;

/// <summary>Starts a stopped service. Answered by <see cref="ServiceStarted"/> or <see cref="ServiceCommandRejected"/>.</summary>
public sealed record StartService : ServiceLifecycleCommand;

/// <summary>Restarts a running or stopped service. Answered by <see cref="ServiceRestarted"/> or <see cref="ServiceCommandRejected"/>.</summary>
public sealed record RestartService : ServiceLifecycleCommand;

/// <summary>
/// Removes a service: its container, then its port and name. Answered by <see cref="ServiceRemoved"/>
/// or <see cref="ServiceCommandRejected"/>.
/// </summary>
public sealed record RemoveService : ServiceLifecycleCommand;
