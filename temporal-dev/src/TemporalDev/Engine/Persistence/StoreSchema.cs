namespace TemporalDev.Engine.Persistence;

/// <summary>The database layout, versioned by <c>PRAGMA user_version</c> and marked as ours by <c>PRAGMA application_id</c>.</summary>
public static class StoreSchema
{
    /// <summary>"TDev" in ASCII: marks a file temporal-dev created, so a foreign SQLite file is refused.</summary>
    public const int ApplicationId = 0x54446576;

    /// <summary>Gets the migrations; the file's user_version is how many of them ran. Append, never edit.</summary>
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
        -- One row per run. seq is creation order, which is also the order of a workflow id's chain of runs.
        CREATE TABLE runs (
            seq INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL UNIQUE,
            namespace TEXT NOT NULL,
            workflow_id TEXT NOT NULL,
            status INTEGER NOT NULL,
            start_request_id TEXT NOT NULL,
            request_ids TEXT NOT NULL,
            start_time INTEGER NOT NULL,
            execution_time INTEGER NOT NULL,
            close_time INTEGER,
            memo BLOB,
            search_attributes BLOB,
            parent_run_id TEXT,
            parent_initiated_event_id INTEGER NOT NULL
        );
        -- The append-only history: one serialized temporal.api.history.v1.HistoryEvent per row.
        CREATE TABLE history_events (
            run_seq INTEGER NOT NULL,
            event_id INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (run_seq, event_id)
        ) WITHOUT ROWID;
        -- Events buffered while a workflow task is started (ids provisional, negative).
        CREATE TABLE buffered_events (
            run_seq INTEGER NOT NULL,
            position INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (run_seq, position)
        ) WITHOUT ROWID;
        -- What the history does not say about a pending activity.
        CREATE TABLE pending_activities (
            run_seq INTEGER NOT NULL,
            scheduled_event_id INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            started INTEGER NOT NULL,
            started_time INTEGER NOT NULL,
            started_identity TEXT NOT NULL,
            started_request_id TEXT NOT NULL,
            attempt_scheduled_time INTEGER NOT NULL,
            last_heartbeat_time INTEGER,
            heartbeat_details BLOB,
            last_failure BLOB,
            last_worker_identity TEXT NOT NULL,
            in_backoff INTEGER NOT NULL,
            next_attempt_time INTEGER NOT NULL,
            PRIMARY KEY (run_seq, scheduled_event_id)
        ) WITHOUT ROWID;
        -- Other engine state (schedules, search-attribute registry, ...) as opaque blobs: see IStateStore.
        CREATE TABLE state_blobs (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        """,
    ];

    public static int CurrentVersion => Migrations.Count;
}
