using System.Globalization;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;

namespace TemporalDev.Engine.Persistence;

/// <summary>
/// The SQLite file behind <c>--db-filename</c>: opened exclusively, in WAL mode; every commit is one transaction.
/// synchronous=NORMAL makes a committed transaction survive the process being killed (it is in the WAL file),
/// though not a power loss.
/// </summary>
public sealed class SqliteStore : IDisposable
{
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    private readonly SqliteConnection connection;
    private readonly SqliteCommand insertRun;
    private readonly SqliteCommand updateRun;
    private readonly SqliteCommand updateRequestIds;
    private readonly SqliteCommand insertEvent;
    private readonly SqliteCommand deleteActivities;
    private readonly SqliteCommand insertActivity;
    private readonly SqliteCommand deleteBuffered;
    private readonly SqliteCommand insertBuffered;
    private readonly SqliteCommand putBlob;
    private readonly SqliteCommand deleteBlob;

    private SqliteStore(string path, SqliteConnection connection)
    {
        Path = path;
        this.connection = connection;
        insertRun = Prepare(
            """
            INSERT INTO runs (run_id, namespace, workflow_id, status, start_request_id, request_ids, start_time, execution_time, close_time, memo, search_attributes, parent_run_id, parent_initiated_event_id)
            VALUES ($run_id, $namespace, $workflow_id, $status, $start_request_id, $request_ids, $start_time, $execution_time, $close_time, $memo, $search_attributes, $parent_run_id, $parent_initiated_event_id)
            RETURNING seq
            """,
            "$run_id",
            "$namespace",
            "$workflow_id",
            "$status",
            "$start_request_id",
            "$request_ids",
            "$start_time",
            "$execution_time",
            "$close_time",
            "$memo",
            "$search_attributes",
            "$parent_run_id",
            "$parent_initiated_event_id");
        updateRun = Prepare(
            """
            UPDATE runs SET status = $status, execution_time = $execution_time, close_time = $close_time,
                memo = $memo, search_attributes = $search_attributes, parent_run_id = $parent_run_id, parent_initiated_event_id = $parent_initiated_event_id
            WHERE seq = $seq
            """,
            "$status",
            "$execution_time",
            "$close_time",
            "$memo",
            "$search_attributes",
            "$parent_run_id",
            "$parent_initiated_event_id",
            "$seq");
        updateRequestIds = Prepare("UPDATE runs SET request_ids = $request_ids WHERE seq = $seq", "$request_ids", "$seq");
        insertEvent = Prepare("INSERT INTO history_events (run_seq, event_id, data) VALUES ($seq, $id, $data)", "$seq", "$id", "$data");
        deleteActivities = Prepare("DELETE FROM pending_activities WHERE run_seq = $seq", "$seq");
        insertActivity = Prepare(
            """
            INSERT INTO pending_activities (run_seq, scheduled_event_id, attempt, started, started_time, started_identity, started_request_id,
                attempt_scheduled_time, last_heartbeat_time, heartbeat_details, last_failure, last_worker_identity, in_backoff, next_attempt_time)
            VALUES ($seq, $scheduled, $attempt, $started, $started_time, $started_identity, $started_request_id,
                $attempt_scheduled_time, $last_heartbeat_time, $heartbeat_details, $last_failure, $last_worker_identity, $in_backoff, $next_attempt_time)
            """,
            "$seq",
            "$scheduled",
            "$attempt",
            "$started",
            "$started_time",
            "$started_identity",
            "$started_request_id",
            "$attempt_scheduled_time",
            "$last_heartbeat_time",
            "$heartbeat_details",
            "$last_failure",
            "$last_worker_identity",
            "$in_backoff",
            "$next_attempt_time");
        deleteBuffered = Prepare("DELETE FROM buffered_events WHERE run_seq = $seq", "$seq");
        insertBuffered = Prepare("INSERT INTO buffered_events (run_seq, position, data) VALUES ($seq, $position, $data)", "$seq", "$position", "$data");
        putBlob = Prepare("INSERT OR REPLACE INTO state_blobs (kind, key, data) VALUES ($kind, $key, $data)", "$kind", "$key", "$data");
        deleteBlob = Prepare("DELETE FROM state_blobs WHERE kind = $kind AND key = $key", "$kind", "$key");
    }

    public string Path { get; }

    /// <summary>
    /// Opens (or creates) the file and checks it is ours: SQLite, our application_id, a schema version this server
    /// knows (older ones are migrated), and not in use by another server. Anything else is a <see cref="StoreException"/>.
    /// </summary>
    public static SqliteStore Open(string path)
    {
        var fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 1,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA locking_mode = EXCLUSIVE");
            var applicationId = Convert.ToInt64(Scalar(connection, "PRAGMA application_id"), CultureInfo.InvariantCulture);
            var version = Convert.ToInt64(Scalar(connection, "PRAGMA user_version"), CultureInfo.InvariantCulture);
            if (!fresh && applicationId != StoreSchema.ApplicationId)
            {
                var tables = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), CultureInfo.InvariantCulture);
                throw new StoreException(applicationId == 0
                    ? $"{path} is a SQLite database that temporal-dev did not create (no temporal-dev application_id; {tables} tables); refusing to use it: pass a new file name"
                    : $"{path} is a SQLite database of another program (application_id 0x{applicationId:x8}, temporal-dev is 0x{StoreSchema.ApplicationId:x8}); refusing to use it: pass a new file name");
            }

            if (version > StoreSchema.CurrentVersion)
            {
                throw new StoreException(
                    $"{path} has schema version {version}, written by a newer temporal-dev; this one reads up to version {StoreSchema.CurrentVersion}: upgrade temporal-dev or pass a new file name");
            }

            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, "PRAGMA synchronous = NORMAL");
            Migrate(connection, (int)version);
            return new SqliteStore(path, connection);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Explain(path, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Turns a SQLite error met while opening or reading the file into a message a person can act on.</summary>
    public static StoreException Explain(string path, SqliteException e) => e.SqliteErrorCode switch
    {
        SqliteNotADatabase => new StoreException($"{path} is not a SQLite database (or its header is corrupt): refusing to start on it; move it away or pass a new file name", e),
        SqliteCorrupt => new StoreException($"{path} is corrupt ({e.Message}): refusing to start on it", e),
        SqliteBusy or SqliteLocked => new StoreException($"{path} is in use by another process (another temporal-dev on the same file?)", e),
        _ => new StoreException($"{path}: {e.Message}", e),
    };

    /// <summary>Writes the changed runs and state blobs in one transaction, then records what the store now holds.</summary>
    public void Write(IReadOnlyList<Execution> runs, IReadOnlyDictionary<(string Kind, string Key), byte[]?> blobs)
    {
        var keys = new long[runs.Count];
        using (var tx = connection.BeginTransaction())
        {
            for (var i = 0; i < runs.Count; i++) keys[i] = WriteRun(tx, runs[i]);
            foreach (var ((kind, key), data) in blobs)
            {
                var command = data is null ? deleteBlob : putBlob;
                command.Transaction = tx;
                command.Parameters[0].Value = kind;
                command.Parameters[1].Value = key;
                if (data is not null) command.Parameters[2].Value = data;
                command.ExecuteNonQuery();
            }

            tx.Commit();
        }

        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var p = run.Persisted!;
            p.Key = keys[i];
            p.StoredEvents = run.Events.Count;
            p.StoredRequestIds = run.RequestIds.Count;
            p.StoredActivities = run.IsOpen ? run.Activities.Count : 0;
            p.StoredBuffered = p.Captured.Count;
        }
    }

    private long WriteRun(SqliteTransaction tx, Execution run)
    {
        var p = run.Persisted!;
        var key = p.Key;
        var command = key == 0 ? insertRun : updateRun;
        command.Transaction = tx;
        var parameters = command.Parameters;
        parameters["$status"].Value = (int)run.Status;
        parameters["$execution_time"].Value = run.ExecutionTime.Ticks;
        parameters["$close_time"].Value = run.CloseTime is { } closed ? closed.Ticks : DBNull.Value;
        parameters["$memo"].Value = run.Memo.Fields.Count > 0 ? run.Memo.ToByteArray() : DBNull.Value;
        parameters["$search_attributes"].Value = run.SearchAttributes.IndexedFields.Count > 0 ? run.SearchAttributes.ToByteArray() : DBNull.Value;
        parameters["$parent_run_id"].Value = run.Parent?.RunId ?? (object)DBNull.Value;
        parameters["$parent_initiated_event_id"].Value = run.ParentInitiatedEventId;
        if (key == 0)
        {
            parameters["$run_id"].Value = run.RunId;
            parameters["$namespace"].Value = run.Namespace;
            parameters["$workflow_id"].Value = run.WorkflowId;
            parameters["$start_request_id"].Value = run.StartRequestId;
            parameters["$start_time"].Value = run.StartTime.Ticks;
            parameters["$request_ids"].Value = string.Join('\n', run.RequestIds);
            key = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        else
        {
            parameters["$seq"].Value = key;
            command.ExecuteNonQuery();

            // Request ids only grow (signals and cancels carry one): rewrite them only when one was added.
            if (run.RequestIds.Count != p.StoredRequestIds)
            {
                updateRequestIds.Transaction = tx;
                updateRequestIds.Parameters[0].Value = string.Join('\n', run.RequestIds);
                updateRequestIds.Parameters[1].Value = key;
                updateRequestIds.ExecuteNonQuery();
            }
        }

        insertEvent.Transaction = tx;
        insertEvent.Parameters[0].Value = key;
        for (var i = p.Key == 0 ? 0 : p.StoredEvents; i < run.Events.Count; i++)
        {
            var e = run.Events[i];
            insertEvent.Parameters[1].Value = e.EventId;
            insertEvent.Parameters[2].Value = e.ToByteArray();
            insertEvent.ExecuteNonQuery();
        }

        var activities = run.IsOpen ? run.Activities.Values : (IEnumerable<ActivityState>)[];
        if (p.StoredActivities > 0 || run.Activities.Count > 0) WriteActivities(tx, key, activities);
        if (p.StoredBuffered > 0 || p.Captured.Count > 0)
        {
            deleteBuffered.Transaction = tx;
            deleteBuffered.Parameters[0].Value = key;
            deleteBuffered.ExecuteNonQuery();
            insertBuffered.Transaction = tx;
            insertBuffered.Parameters[0].Value = key;
            for (var i = 0; i < p.Captured.Count; i++)
            {
                insertBuffered.Parameters[1].Value = i;
                insertBuffered.Parameters[2].Value = p.Captured[i].ToByteArray();
                insertBuffered.ExecuteNonQuery();
            }
        }

        return key;
    }

    private void WriteActivities(SqliteTransaction tx, long key, IEnumerable<ActivityState> activities)
    {
        deleteActivities.Transaction = tx;
        deleteActivities.Parameters[0].Value = key;
        deleteActivities.ExecuteNonQuery();
        insertActivity.Transaction = tx;
        var a = insertActivity.Parameters;
        a["$seq"].Value = key;
        foreach (var activity in activities)
        {
            a["$scheduled"].Value = activity.ScheduledEventId;
            a["$attempt"].Value = activity.Attempt;
            a["$started"].Value = activity.Started ? 1 : 0;
            a["$started_time"].Value = activity.StartedTime.Ticks;
            a["$started_identity"].Value = activity.StartedIdentity;
            a["$started_request_id"].Value = activity.StartedRequestId;
            a["$attempt_scheduled_time"].Value = activity.AttemptScheduledTime.Ticks;
            a["$last_heartbeat_time"].Value = activity.LastHeartbeatTime is { } beat ? beat.Ticks : DBNull.Value;
            a["$heartbeat_details"].Value = activity.HeartbeatDetails?.ToByteArray() ?? (object)DBNull.Value;
            a["$last_failure"].Value = activity.LastFailure?.ToByteArray() ?? (object)DBNull.Value;
            a["$last_worker_identity"].Value = activity.LastWorkerIdentity;
            a["$in_backoff"].Value = activity.InBackoff ? 1 : 0;
            a["$next_attempt_time"].Value = activity.NextAttemptTime.Ticks;
            insertActivity.ExecuteNonQuery();
        }
    }

    /// <summary>Reads every run with its history, buffered events and pending-activity side state, in creation order.</summary>
    public IReadOnlyList<StoredRun> Load()
    {
        try
        {
            var runs = new List<StoredRun>();
            var byKey = new Dictionary<long, StoredRun>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText =
                    """
                    SELECT seq, run_id, namespace, workflow_id, status, start_request_id, request_ids, start_time, execution_time, close_time,
                        memo, search_attributes, parent_run_id, parent_initiated_event_id
                    FROM runs ORDER BY seq
                    """;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var requestIds = reader.GetString(6);
                    var run = new StoredRun
                    {
                        Key = reader.GetInt64(0),
                        RunId = reader.GetString(1),
                        Namespace = reader.GetString(2),
                        WorkflowId = reader.GetString(3),
                        Status = (WorkflowExecutionStatus)reader.GetInt32(4),
                        StartRequestId = reader.GetString(5),
                        RequestIds = requestIds.Length == 0 ? [] : requestIds.Split('\n'),
                        StartTime = Utc(reader.GetInt64(7)),
                        ExecutionTime = Utc(reader.GetInt64(8)),
                        CloseTime = reader.IsDBNull(9) ? null : Utc(reader.GetInt64(9)),
                        Memo = reader.IsDBNull(10) ? null : Memo.Parser.ParseFrom(Bytes(reader, 10)),
                        SearchAttributes = reader.IsDBNull(11) ? null : SearchAttributes.Parser.ParseFrom(Bytes(reader, 11)),
                        ParentRunId = reader.IsDBNull(12) ? null : reader.GetString(12),
                        ParentInitiatedEventId = reader.GetInt64(13),
                    };
                    runs.Add(run);
                    byKey[run.Key] = run;
                }
            }

            ReadEvents("SELECT run_seq, data FROM history_events ORDER BY run_seq, event_id", byKey, r => r.Events);
            ReadEvents("SELECT run_seq, data FROM buffered_events ORDER BY run_seq, position", byKey, r => r.Buffered);
            ReadActivities(byKey);
            return runs;
        }
        catch (SqliteException e)
        {
            throw Explain(Path, e);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new StoreException($"{Path} is corrupt: a stored record does not parse ({e.Message}); refusing to start on it", e);
        }
    }

    /// <summary>Reads every state blob of a kind.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> LoadBlobs(string kind)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, data FROM state_blobs WHERE kind = $kind ORDER BY key";
        command.Parameters.AddWithValue("$kind", kind);
        using var reader = command.ExecuteReader();
        var blobs = new List<KeyValuePair<string, byte[]>>();
        while (reader.Read()) blobs.Add(new(reader.GetString(0), Bytes(reader, 1)));
        return blobs;
    }

    public void Dispose()
    {
        insertRun.Dispose();
        updateRun.Dispose();
        updateRequestIds.Dispose();
        insertEvent.Dispose();
        deleteActivities.Dispose();
        insertActivity.Dispose();
        deleteBuffered.Dispose();
        insertBuffered.Dispose();
        putBlob.Dispose();
        deleteBlob.Dispose();
        connection.Dispose();
    }

    private void ReadEvents(string sql, Dictionary<long, StoredRun> byKey, Func<StoredRun, List<HistoryEvent>> list)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        StoredRun? run = null;
        while (reader.Read())
        {
            var key = reader.GetInt64(0);
            if (run is null || run.Key != key)
            {
                run = byKey.GetValueOrDefault(key) ?? throw new StoreException($"{Path} is corrupt: events of run row {key}, which does not exist");
            }

            list(run).Add(HistoryEvent.Parser.ParseFrom(Bytes(reader, 1)));
        }
    }

    private void ReadActivities(Dictionary<long, StoredRun> byKey)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            """
            SELECT run_seq, scheduled_event_id, attempt, started, started_time, started_identity, started_request_id, attempt_scheduled_time,
                last_heartbeat_time, heartbeat_details, last_failure, last_worker_identity, in_backoff, next_attempt_time
            FROM pending_activities
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var key = reader.GetInt64(0);
            if (!byKey.TryGetValue(key, out var run)) throw new StoreException($"{Path} is corrupt: activity of run row {key}, which does not exist");
            run.Activities.Add(new StoredActivity(
                reader.GetInt64(1),
                reader.GetInt32(2),
                reader.GetInt32(3) != 0,
                Utc(reader.GetInt64(4)),
                reader.GetString(5),
                reader.GetString(6),
                Utc(reader.GetInt64(7)),
                reader.IsDBNull(8) ? null : Utc(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : Payloads.Parser.ParseFrom(Bytes(reader, 9)),
                reader.IsDBNull(10) ? null : Failure.Parser.ParseFrom(Bytes(reader, 10)),
                reader.GetString(11),
                reader.GetInt32(12) != 0,
                Utc(reader.GetInt64(13))));
        }
    }

    private static void Migrate(SqliteConnection connection, int from)
    {
        if (from == StoreSchema.CurrentVersion && from > 0) return;
        using var tx = connection.BeginTransaction();
        for (var version = from; version < StoreSchema.CurrentVersion; version++)
        {
            Execute(connection, StoreSchema.Migrations[version], tx);
        }

        Execute(connection, $"PRAGMA application_id = {StoreSchema.ApplicationId}", tx);
        Execute(connection, $"PRAGMA user_version = {StoreSchema.CurrentVersion}", tx);
        tx.Commit();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static byte[] Bytes(SqliteDataReader reader, int ordinal) => (byte[])reader.GetValue(ordinal);

    private static DateTime Utc(long ticks) => new(ticks, DateTimeKind.Utc);
}
