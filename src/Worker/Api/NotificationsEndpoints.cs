using System.Globalization;
using System.Text;
using Lifecycle.Activities.Catalog;

namespace Lifecycle.Worker.Api;

/// <summary><c>GET /api/v1/notifications?user=&amp;kind=&amp;limit=&amp;cursor=</c>: the outbox, newest first, keyset-paged.</summary>
public static class NotificationsEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaximumLimit = 500;

    public static RouteGroupBuilder MapNotifications(this RouteGroupBuilder api)
    {
        api.MapGet("/notifications", async (HttpRequest request, NotificationLog log, UserCatalog users, CancellationToken cancellationToken) =>
        {
            var query = request.Query;
            Guid? recipient = null;
            if (query["user"].ToString() is { Length: > 0 } userText)
            {
                recipient = ApiFields.Id(userText, "user");
                if (!await users.ExistsAsync(recipient.Value, cancellationToken))
                    throw new CatalogInputException("user", $"no user with id {recipient}");
            }
            var limit = DefaultLimit;
            if (query["limit"].ToString() is { Length: > 0 } limitText
                && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaximumLimit))
            {
                throw new CatalogInputException("limit", $"must be a whole number from 1 to {MaximumLimit}, got \"{limitText}\"");
            }
            var before = query["cursor"].ToString() is { Length: > 0 } cursor ? Cursor(cursor) : ((DateTimeOffset, Guid)?)null;
            var kind = query["kind"].ToString() is { Length: > 0 } k ? k : null;

            var rows = await log.ListAsync(new NotificationQuery { RecipientId = recipient, Kind = kind, Limit = limit, Before = before }, cancellationToken);
            var next = rows.Count == limit ? Cursor(rows[^1].CreatedAt, rows[^1].Id) : null;
            return ApiJson.Ok(new
            {
                Notifications = rows.Select(n => new
                {
                    n.Id,
                    Kind = n.Template,
                    n.RecipientId,
                    Labels = System.Text.Json.JsonDocument.Parse(n.Labels).RootElement,
                    Data = System.Text.Json.JsonDocument.Parse(n.Data).RootElement,
                    n.Targets,
                    n.CreatedBy,
                    n.Status,
                    n.Attempts,
                    n.LastError,
                    n.CreatedAt,
                    n.SentAt,
                }),
                NextCursor = next,
            });
        });
        return api;
    }

    // The cursor is the last row's (created_at, id), opaque to clients.
    private static string Cursor(DateTimeOffset createdAt, Guid id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{createdAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{id}"));

    private static (DateTimeOffset, Guid) Cursor(string text)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(text)).Split(':', 2);
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && Guid.TryParse(parts[1], out var id)
                && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
            }
        }
        catch (FormatException)
        {
        }
        throw new CatalogInputException("cursor", "is not a cursor this API returned (use next_cursor of the previous page)");
    }
}
