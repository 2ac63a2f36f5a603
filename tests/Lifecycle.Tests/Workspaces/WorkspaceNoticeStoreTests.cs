using Dapper;
using Lifecycle.Activities.Workspaces;
using Lifecycle.Testing.Postgres;
using Lifecycle.Tests.Instances;
using Lifecycle.Workflows.Instances;
using Npgsql;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// The workspace outbox on real PostgreSQL: a notice is written only once the state change it reports is committed, and
/// exactly once per dedupe key however often the write is repeated (a local activity retried after a lost answer).
/// </summary>
public sealed class WorkspaceNoticeStoreTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_repeated_change_writes_its_notice_and_audit_entry_once()
    {
        var (store, id) = await WorkspaceAsync();
        var change = DormancyChange(id, auditUser: null);

        await store.ChangeAsync(change);
        await store.ChangeAsync(change);
        await store.ChangeAsync(change with { At = At.AddSeconds(5) });

        Assert.Equal(1, await CountAsync("SELECT count(*) FROM notifications WHERE dedupe_key = @Key", change.Notice!.DedupeKey));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM audit_log WHERE idempotency_key = @Key", change.Audit!.Key));
        Assert.Equal(At, await DormantAtAsync(id));
    }

    [Fact]
    public async Task A_change_whose_transaction_fails_writes_no_notice_and_changes_nothing()
    {
        var (store, id) = await WorkspaceAsync();
        // An audit entry naming a user who does not exist breaks the foreign key: the transaction rolls back.
        var change = DormancyChange(id, auditUser: Guid.NewGuid());

        await Assert.ThrowsAsync<PostgresException>(() => store.ChangeAsync(change));

        Assert.Null(await DormantAtAsync(id));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM notifications WHERE dedupe_key = @Key", change.Notice!.DedupeKey));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM audit_log WHERE idempotency_key = @Key", change.Audit!.Key));

        // The same change, once it can commit, brings its notice with it.
        await store.ChangeAsync(change with { Audit = change.Audit with { UserId = null } });
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM notifications WHERE dedupe_key = @Key", change.Notice.DedupeKey));
    }

    private static WorkspaceChange DormancyChange(Guid id, Guid? auditUser) => new()
    {
        InstanceId = id,
        At = At,
        Dormancy = new WorkspaceDormancy(At, null),
        Audit = new WorkspaceAudit("write", auditUser, $"dormant/{id}/{At:O}", new Dictionary<string, string?> { ["dormant_at"] = At.ToString("O") }),
        Notice = new WorkspaceNotice(
            "workspace_dormant",
            Activities.Store.SystemUsers.PrebuildsUserId,
            $"workspace-dormant/{id}/{At:O}",
            new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = "ws", ["reason"] = "inactivity exceeded the dormancy threshold" },
            [id]),
    };

    private async Task<(WorkspaceStore Store, Guid Id)> WorkspaceAsync()
    {
        var seed = await InstanceSeed.CreateAsync(database.DataSource);
        var instance = await seed.InstanceAsync(status: "running");
        return (new WorkspaceStore(database.DataSource), instance.Id);
    }

    private async Task<DateTimeOffset?> DormantAtAsync(Guid id)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<DateTimeOffset?>("SELECT dormant_at FROM workspaces WHERE id = @id", new { id });
    }

    private async Task<long> CountAsync(string sql, string key)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, new { Key = key });
    }
}
