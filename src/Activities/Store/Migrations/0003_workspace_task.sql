-- Spec lifecycle.md A21: a workspace may be created for an AI task. The task lives in the system that runs AI tasks;
-- the workspace keeps its id and name, so the rules' stop of it is recorded as task_auto_pause (already allowed by
-- workspace_builds_reason_check in 0001) and the "Task paused" notification can name it. Both are set, or neither.
ALTER TABLE workspaces
    ADD COLUMN task_id   uuid NULL,
    ADD COLUMN task_name text NULL
        CONSTRAINT workspaces_task_name_not_blank CHECK (btrim(task_name) <> '')
        CONSTRAINT workspaces_task_name_length CHECK (char_length(task_name) <= 64),
    ADD CONSTRAINT workspaces_task_id_and_name CHECK ((task_id IS NULL) = (task_name IS NULL));

-- A task runs in one live workspace.
CREATE UNIQUE INDEX workspaces_task_id_key ON workspaces (task_id) WHERE task_id IS NOT NULL AND NOT deleted;
