using System.Globalization;
using System.Text.Json;
using Messaging.Cli.Api;

namespace Messaging.Cli.Output;

/// <summary>How services look on the terminal, and the <c>--json</c> alternative.</summary>
internal static class ServicePrinter
{
    public static void WriteList(TextWriter output, IReadOnlyList<ServiceView> services) =>
        TableWriter.Write(output, ["NAME", "STATUS", "HEALTH", "RESTARTS", "IMAGE", "PORT", "ID"],
            services.Select(s => (IReadOnlyList<string>)[s.ServiceName, s.Status, s.Health, s.RestartCount.ToString(CultureInfo.InvariantCulture),
                s.Image, Port(s), s.ServiceId.ToString()]));

    public static void WriteDetails(TextWriter output, ServiceView s) =>
        TableWriter.WriteFields(output,
        [
            ("name", s.ServiceName),
            ("id", s.ServiceId.ToString()),
            ("status", s.Status),
            ("failure", s.Failure is null ? "-" : Reason(s.Failure)),
            ("health", s.Health),
            ("restarts", s.RestartCount.ToString(CultureInfo.InvariantCulture)
                         + (s.NextRestartAt is { } next ? $" (next at {next.ToString("u", CultureInfo.InvariantCulture)})" : "")),
            ("last exit", s.LastExit is null ? "-" : Exit(s.LastExit)),
            ("image", s.Image),
            ("owner", s.Owner),
            ("memory", s.MemoryLimit),
            ("cpus", s.CpuLimit.ToString(CultureInfo.InvariantCulture)),
            ("port", Address(s)),
            ("container", s.ContainerId ?? "-"),
            ("created", s.CreatedAt.ToString("u", CultureInfo.InvariantCulture)),
            ("updated", s.UpdatedAt.ToString("u", CultureInfo.InvariantCulture)),
        ]);

    /// <summary>The failure as scripts and people quote it: <c>code: message</c>.</summary>
    public static string Reason(FailureView failure) => $"{failure.Code}: {failure.Message}";

    /// <summary>An exit as <c>code 137 (OOM killed) at ...</c>.</summary>
    public static string Exit(ExitView exit) =>
        $"code {exit.Code}{(exit.Oom ? " (OOM killed)" : "")} at {exit.At.ToString("u", CultureInfo.InvariantCulture)}";

    /// <summary>The API's own JSON, as it sent it, on one line (for jq and friends).</summary>
    public static void WriteJson(TextWriter output, JsonElement json) => output.WriteLine(json.GetRawText());

    /// <summary>Items of several pages as one page of the API's shape: <c>{"items": [...], "next_cursor": null}</c>.</summary>
    public static void WriteJsonPage(TextWriter output, IEnumerable<JsonElement> items)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("items");
            foreach (var item in items)
                item.WriteTo(writer);
            writer.WriteEndArray();
            writer.WriteNull("next_cursor");
            writer.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static string Port(ServiceView s) => s.HostPort?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Address(ServiceView s) => s.HostPort is null
        ? s.InternalPort is null ? "-" : $"{s.InternalPort} (not published)"
        : $"{s.Host ?? "?"}:{s.HostPort} -> {s.InternalPort?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
}
