using Messaging.State;

namespace Messaging.Api.Auth;

/// <summary>
/// Who may see a service: its owner, or an admin. To anyone else it does not exist: every endpoint answers
/// "not found" for another owner's service, never "forbidden", so ids of other owners' services leak nothing.
/// </summary>
public static class ServiceOwnership
{
    /// <summary>The record if the caller may see it, else null (absent or another owner's).</summary>
    public static async Task<ServiceRecord?> FindVisibleAsync(this ServiceRecordStore records, Guid serviceId, ClaimsPrincipal user)
    {
        var record = await records.GetAsync(serviceId);
        return record is not null && user.MaySee(record.Owner) ? record : null;
    }

    public static bool MaySee(this ClaimsPrincipal user, string owner) => owner == user.Id() || user.Has(Scopes.Admin);

    /// <summary>Whose services a listing shows the caller: its own, or null (everyone's) for an admin.</summary>
    public static string? VisibleOwner(this ClaimsPrincipal user) => user.Has(Scopes.Admin) ? null : user.Id();
}
