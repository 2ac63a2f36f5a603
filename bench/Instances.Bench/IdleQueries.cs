using Dapper;
using Npgsql;

namespace Instances.Bench;

/// <summary>
/// What the workers did to one database between two samples: transactions from <c>pg_stat_database</c> (read from the
/// <c>postgres</c> database, so the samples themselves are not counted) and table accesses from
/// <c>pg_stat_user_tables</c> (catalog reads, so the samples touch no user table). pg_stat_statements is not loaded
/// by the private cluster, so statements are counted as transactions (every store call outside a transaction is one).
/// </summary>
internal readonly record struct IdleQueries(long Transactions, long TableScans, long RowsWritten)
{
    /// <summary>
    /// Counters now. A backend flushes its counters at most 10 s after it went idle, so wait that long first. The
    /// sample's own read of the database (one transaction) must fall outside the window: an opening sample reads the
    /// database first and lets that backend exit (and flush) before reading the transaction count, a closing one the
    /// other way round.
    /// </summary>
    public static async Task<IdleQueries> SampleAsync(string adminConnectionString, string databaseConnectionString, string database, bool opening)
    {
        long transactions = 0;
        if (!opening)
            transactions = await TransactionsAsync(adminConnectionString, database);
        var (scans, written) = await TableAccessesAsync(databaseConnectionString);
        if (opening)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            transactions = await TransactionsAsync(adminConnectionString, database);
        }
        return new IdleQueries(transactions, scans, written);
    }

    private static async Task<long> TransactionsAsync(string adminConnectionString, string database)
    {
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        return await admin.ExecuteScalarAsync<long>(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = @database", new { database });
    }

    private static async Task<(long Scans, long Written)> TableAccessesAsync(string databaseConnectionString)
    {
        // Unpooled: the backend exits (and flushes its own counters) when the sample is done.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(databaseConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return await connection.QuerySingleAsync<(long, long)>(
            """
            SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::bigint,
                   coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint
            FROM pg_stat_user_tables
            """);
    }

    public static IdleQueries operator -(IdleQueries after, IdleQueries before) =>
        new(after.Transactions - before.Transactions, after.TableScans - before.TableScans, after.RowsWritten - before.RowsWritten);
}
