using System.Collections.ObjectModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Messaging.IntegrationTests;

/// <summary>Spans exported by both hosts (OpenTelemetry's in-memory exporter), safe to add to from any thread.</summary>
public sealed class SpanCollector : Collection<Activity>
{
    private readonly Lock _gate = new();

    protected override void InsertItem(int index, Activity item)
    {
        lock (_gate) base.InsertItem(Count, item);
    }

    public IReadOnlyList<Activity> Snapshot()
    {
        lock (_gate) return [.. this];
    }
}

/// <summary>Every log line both hosts write, fully rendered (message, state, scopes, exception), for leak checks.</summary>
public sealed class LogCollector : ILoggerProvider, ISupportExternalScope
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) return [.. _lines]; }
    }

    // Scopes (including the TraceId/SpanId the host's activity tracking adds) come from the factory.
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<string>();
            owner._scopes.ForEachScope((scope, list) => list.Add(Render(scope)), scopes);
            var line = $"{category} {formatter(state, exception)} {Render(state)} {string.Join(" ", scopes)} {exception}";
            lock (owner._gate) owner._lines.Add(line);
        }

        private static string Render(object? state) => state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
            : state?.ToString() ?? "";
    }
}
