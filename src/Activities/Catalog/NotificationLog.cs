using Dapper;
using Lifecycle.Activities.Store.Rows;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>A filter and a page of the outbox, newest first. <see cref="Before"/> is the last row of the previous page.</summary>
public sealed record NotificationQuery
{
    public Guid? RecipientId { get; init; }

    /// <summary>The notification kind (the outbox's <c>template</c> column, e.g. <c>prebuild_hard_limited</c>).</summary>
    public string? Kind { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>Keyset cursor: only rows strictly older than this (created_at, id) pair.</summary>
    public (DateTimeOffset CreatedAt, Guid Id)? Before { get; init; }
}

/// <summary>Reads the notification outbox for operators; keyset paging, so pages stay stable while rows are added.</summary>
public sealed class NotificationLog(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<NotificationRow>> ListAsync(NotificationQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<NotificationRow>(new CommandDefinition(
            """
            SELECT * FROM notifications
            WHERE (@recipient::uuid IS NULL OR recipient_id = @recipient)
              AND (@kind::text IS NULL OR template = @kind)
              AND (@beforeAt::timestamptz IS NULL OR (created_at, id) < (@beforeAt, @beforeId))
            ORDER BY created_at DESC, id DESC
            LIMIT @limit
            """,
            new
            {
                recipient = query.RecipientId,
                kind = query.Kind,
                beforeAt = query.Before?.CreatedAt,
                beforeId = query.Before?.Id ?? Guid.Empty,
                limit = query.Limit,
            },
            cancellationToken: cancellationToken))).ToList();
    }
}
