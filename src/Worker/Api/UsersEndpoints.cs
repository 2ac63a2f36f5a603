using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Lifecycle.Workflows.Workspaces;

namespace Lifecycle.Worker.Api;

/// <summary>Body of <c>POST /api/v1/users</c>.</summary>
public sealed record UserCreateRequest
{
    public string? Username { get; init; }

    public string? Email { get; init; }

    /// <summary>active (default), suspended or dormant.</summary>
    public string? Status { get; init; }

    public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>Daily cron of the user's quiet hours (<c>CRON_TZ=Europe/Berlin 0 2 * * *</c>); absent = the deployment default.</summary>
    public string? QuietHoursSchedule { get; init; }

    public IReadOnlyList<Guid>? OrganizationIds { get; init; }
}

/// <summary>Body of <c>PATCH /api/v1/users/{id}</c>; absent fields are unchanged.</summary>
public sealed record UserPatchRequest
{
    public string? Email { get; init; }

    public string? Status { get; init; }

    public IReadOnlyList<string>? Roles { get; init; }

    public string? QuietHoursSchedule { get; init; }
}

/// <summary>Users: <c>POST /api/v1/users</c>, <c>GET|PATCH /api/v1/users/{id}</c>.</summary>
public static class UsersEndpoints
{
    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        api.MapPost("/users", async (HttpRequest request, UserCatalog users, CancellationToken cancellationToken) =>
        {
            var body = await ApiJson.ReadAsync<UserCreateRequest>(request, cancellationToken);
            var username = ApiFields.Name(body.Username, "username");
            if (username.Any(char.IsWhiteSpace))
                throw new CatalogInputException("username", $"\"{username}\" must not contain spaces");
            var user = new UserRow
            {
                Username = username,
                Email = Email(body.Email),
                Status = Status(body.Status) ?? OwnerStatus.Active.ToStoredText(),
                Roles = Roles(body.Roles) ?? [],
                QuietHoursSchedule = QuietHours(body.QuietHoursSchedule),
            };
            var created = await users.CreateAsync(user, body.OrganizationIds ?? [], cancellationToken);
            return ApiJson.Created($"/api/v1/users/{created.User.Id}", View(created));
        });

        api.MapGet("/users/{id}", async (string id, UserCatalog users, CancellationToken cancellationToken) =>
        {
            var userId = ApiFields.Id(id);
            var found = await users.GetAsync(userId, cancellationToken) ?? throw new CatalogNotFoundException($"user {userId} not found");
            return ApiJson.Ok(View(found));
        });

        api.MapMethods("/users/{id}", [HttpMethods.Patch], async (
            string id, HttpRequest request, UserCatalog users, IWorkspaceFanout fanout, ILogger<UserPatchRequest> logger, CancellationToken cancellationToken) =>
        {
            var userId = ApiFields.Id(id);
            var body = await ApiJson.ReadAsync<UserPatchRequest>(request, cancellationToken);
            var status = Status(body.Status);
            var roles = Roles(body.Roles);
            var email = body.Email is null ? null : Email(body.Email);
            var quietHours = body.QuietHoursSchedule is null ? null : QuietHours(body.QuietHoursSchedule);
            var change = await users.UpdateAsync(userId, current => current with
            {
                Status = status ?? current.Status,
                Roles = roles ?? current.Roles,
                Email = body.Email is null ? current.Email : email,
                QuietHoursSchedule = body.QuietHoursSchedule is null ? current.QuietHoursSchedule : quietHours,
            }, cancellationToken);

            // After the commit: the workflows re-read the owner (status for suspension, quiet hours for the max deadline).
            if (change.Before.Status != change.After.Status || change.Before.QuietHoursSchedule != change.After.QuietHoursSchedule)
            {
                try
                {
                    await fanout.OwnerStatusChangedAsync(userId, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "user {UserId}: change committed but the user's workspaces could not be listed for the owner-status-changed signal", userId);
                }
            }
            var found = await users.GetAsync(userId, cancellationToken) ?? throw new CatalogNotFoundException($"user {userId} not found");
            return ApiJson.Ok(View(found));
        });
        return api;
    }

    private static object View(UserDetails d) => new
    {
        d.User.Id,
        d.User.Username,
        d.User.Email,
        d.User.Status,
        d.User.Roles,
        d.User.IsSystem,
        d.User.QuietHoursSchedule,
        d.OrganizationIds,
        d.User.LastSeenAt,
        d.User.CreatedAt,
        d.User.UpdatedAt,
    };

    private static string? Status(string? text)
    {
        if (text is null)
            return null;
        return StoredText.TryParse<OwnerStatus>(text.Trim(), out var status)
            ? status.ToStoredText()
            : throw new CatalogInputException("status", $"\"{text}\" is not one of {string.Join(", ", StoredText.Values<OwnerStatus>())}");
    }

    private static string[]? Roles(IReadOnlyList<string>? roles)
    {
        if (roles is null)
            return null;
        for (var i = 0; i < roles.Count; i++)
        {
            if (!UserRoles.All.Contains(roles[i], StringComparer.Ordinal))
                throw new CatalogInputException($"roles[{i}]", $"\"{roles[i]}\" is not one of {string.Join(", ", UserRoles.All)}");
        }
        return [.. roles.Distinct(StringComparer.Ordinal)];
    }

    private static string? Email(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
            return null;
        var trimmed = email.Trim();
        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at < trimmed.Length - 1 && !trimmed.Any(char.IsWhiteSpace)
            ? trimmed
            : throw new CatalogInputException("email", $"\"{email}\" is not an email address");
    }

    private static string? QuietHours(string? schedule)
    {
        if (string.IsNullOrWhiteSpace(schedule))
            return null;
        try
        {
            return CronSchedule.ParseDaily(schedule).Text;
        }
        catch (ScheduleFormatException e)
        {
            throw new CatalogInputException(e.Field, e.Problem);
        }
    }
}
