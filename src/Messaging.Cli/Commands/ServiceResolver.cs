using Messaging.Cli.Api;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary>Turns the NAME-or-id argument into the service's current record.</summary>
internal static class ServiceResolver
{
    /// <summary>
    /// A GUID is an id and is fetched directly. Anything else is a name: the API has no lookup by name, so
    /// this lists the caller's services (all pages) and takes the exact match. Removed services are not
    /// listed, so a name freed by a removal and taken again resolves to the live service.
    /// </summary>
    public static async Task<ApiResult<ServiceView>> ResolveAsync(Session session, string nameOrId)
    {
        if (Guid.TryParseExact(nameOrId, "D", out var serviceId))
            return await session.Api.GetAsync(serviceId, session.CancellationToken);

        var matches = new List<ApiResult<ServiceView>>();
        await foreach (var service in session.Api.ListAsync(status: null, session.CancellationToken))
        {
            if (service.Value.ServiceName == nameOrId && service.Value.Status != ServiceStatus.Removed)
                matches.Add(service);
        }
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliException($"no service named '{nameOrId}'."),
            // The API frees the name of a failed service but keeps listing it, so a failed attempt and its
            // successful retry share a name. Guessing which one is meant could stop or remove the wrong one.
            _ => throw new CliException($"several services are named '{nameOrId}', use an id: "
                + string.Join(", ", matches.Select(m => $"{m.Value.ServiceId} ({m.Value.Status})")) + "."),
        };
    }
}
