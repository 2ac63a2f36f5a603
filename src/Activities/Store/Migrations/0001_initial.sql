-- Lifecycle's store of record: the whole domain of spec/prebuilds.md §1, spec/lifecycle.md and spec/instances.md.
--
-- Conventions
--   * snake_case names; ids are uuid; every timestamp is timestamptz (UTC on the wire).
--   * Durations are `interval` (Npgsql reads and writes them as TimeSpan). The one exception is the preset's prebuild
--     TTL, `invalidate_after_secs`, kept in integer seconds as the spec (and Coder's expiration policy) states it.
--   * Enumerations are text with a CHECK listing every value; the C# enums map member names to snake_case text
--     (HardLimited -> hard_limited), and a test asserts both sides agree.
--   * "Unset" is NULL, never a zero time (Coder's zero deadline is NULL here).
--   * Soft deletes (`deleted`) keep evidence; rows are never hard-deleted by the application.

-- ---------------------------------------------------------------------------------------------------------------
-- Organizations and users
-- ---------------------------------------------------------------------------------------------------------------

CREATE TABLE organizations (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL CONSTRAINT organizations_name_not_empty CHECK (name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_name_key UNIQUE (name)
);

CREATE TABLE users (
    id                    uuid        PRIMARY KEY,
    username              text        NOT NULL CONSTRAINT users_username_not_empty CHECK (username <> ''),
    email                 text        NULL,
    status                text        NOT NULL DEFAULT 'active'
                                      CONSTRAINT users_status_check CHECK (status IN ('active', 'dormant', 'suspended')),
    roles                 text[]      NOT NULL DEFAULT '{}'
                                      CONSTRAINT users_roles_check
                                      CHECK (roles <@ ARRAY['owner', 'template-admin', 'user-admin', 'auditor']::text[]),
    -- System users (the prebuilds owner) never log in and are never made dormant.
    is_system             boolean     NOT NULL DEFAULT false,
    -- The user's quiet hours (cron text, CRON_TZ=<zone> m h * * *) used for the template autostop requirement;
    -- NULL means the deployment default.
    quiet_hours_schedule  text        NULL,
    last_seen_at          timestamptz NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_key UNIQUE (username)
);

-- Owns every unclaimed prebuild (spec/prebuilds.md §1.1): the id is fixed so every replica and every migration agrees.
INSERT INTO users (id, username, status, is_system)
VALUES ('c42fdf75-3097-471c-8c33-fb52454d81c0', 'prebuilds', 'active', true);

CREATE TABLE organization_members (
    organization_id  uuid        NOT NULL REFERENCES organizations (id),
    user_id          uuid        NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX organization_members_user_id_idx ON organization_members (user_id);

-- ---------------------------------------------------------------------------------------------------------------
-- Templates, versions, presets
-- ---------------------------------------------------------------------------------------------------------------

CREATE TABLE templates (
    id                                 uuid        PRIMARY KEY,
    organization_id                    uuid        NOT NULL REFERENCES organizations (id),
    name                               text        NOT NULL CONSTRAINT templates_name_not_empty CHECK (name <> ''),
    display_name                       text        NOT NULL DEFAULT '',
    -- Which configured provider (the built-in "process", or a GARM external provider such as "lxd") makes machines.
    provider_name                      text        NOT NULL
                                                   CONSTRAINT templates_provider_name_not_empty CHECK (provider_name <> ''),
    -- Set once the first version exists; the FK below also requires the version to belong to this template.
    active_version_id                  uuid        NULL,
    deleted                            boolean     NOT NULL DEFAULT false,
    -- Non-empty means deprecated; the text is the message shown to users.
    deprecated                         text        NOT NULL DEFAULT '',
    require_active_version             boolean     NOT NULL DEFAULT false,
    default_ttl                        interval    NOT NULL DEFAULT '0'
                                                   CONSTRAINT templates_default_ttl_check CHECK (default_ttl >= interval '0'),
    activity_bump                      interval    NOT NULL DEFAULT '1 hour'
                                                   CONSTRAINT templates_activity_bump_check CHECK (activity_bump >= interval '0'),
    allow_user_autostart               boolean     NOT NULL DEFAULT true,
    allow_user_autostop                boolean     NOT NULL DEFAULT true,
    -- 7-bit weekday bitmaps, bit 0 = Monday … bit 6 = Sunday. Allowed days are stored as allowed (not inverted).
    autostart_allowed_days             smallint    NOT NULL DEFAULT 127
                                                   CONSTRAINT templates_autostart_allowed_days_check
                                                   CHECK (autostart_allowed_days BETWEEN 0 AND 127),
    autostop_requirement_days_of_week  smallint    NOT NULL DEFAULT 0
                                                   CONSTRAINT templates_autostop_requirement_days_check
                                                   CHECK (autostop_requirement_days_of_week BETWEEN 0 AND 127),
    autostop_requirement_weeks         smallint    NOT NULL DEFAULT 1
                                                   CONSTRAINT templates_autostop_requirement_weeks_check
                                                   CHECK (autostop_requirement_weeks BETWEEN 1 AND 16),
    failure_ttl                        interval    NOT NULL DEFAULT '0'
                                                   CONSTRAINT templates_failure_ttl_check CHECK (failure_ttl >= interval '0'),
    time_til_dormant                   interval    NOT NULL DEFAULT '0'
                                                   CONSTRAINT templates_time_til_dormant_check
                                                   CHECK (time_til_dormant >= interval '0'),
    time_til_dormant_autodelete        interval    NOT NULL DEFAULT '0'
                                                   CONSTRAINT templates_time_til_dormant_autodelete_check
                                                   CHECK (time_til_dormant_autodelete >= interval '0'),
    time_til_autostop_notify           interval    NOT NULL DEFAULT '0'
                                                   CONSTRAINT templates_time_til_autostop_notify_check
                                                   CHECK (time_til_autostop_notify >= interval '0'),
    -- An instance not ready this long after its create is failed and deleted (GARM's runner timeout).
    bootstrap_timeout                  interval    NOT NULL DEFAULT '20 minutes'
                                                   CONSTRAINT templates_bootstrap_timeout_check
                                                   CHECK (bootstrap_timeout > interval '0'),
    created_at                         timestamptz NOT NULL DEFAULT now(),
    updated_at                         timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX templates_organization_id_name_key ON templates (organization_id, lower(name)) WHERE NOT deleted;

CREATE TABLE template_versions (
    id                    uuid        PRIMARY KEY,
    template_id           uuid        NOT NULL REFERENCES templates (id),
    name                  text        NOT NULL CONSTRAINT template_versions_name_not_empty CHECK (name <> ''),
    -- Release notes ("None provided" is the API's rendering of an empty message).
    message               text        NOT NULL DEFAULT '',
    -- What the provider builds: GARM's bootstrap image, flavor and opaque extra specs.
    provider_image        text        NOT NULL DEFAULT '',
    provider_flavor       text        NOT NULL DEFAULT '',
    provider_extra_specs  jsonb       NOT NULL DEFAULT '{}'
                                      CONSTRAINT template_versions_extra_specs_object
                                      CHECK (jsonb_typeof(provider_extra_specs) = 'object'),
    created_by            uuid        NULL REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT template_versions_template_id_name_key UNIQUE (template_id, name),
    -- Target of the templates.active_version_id FK (a template's active version must be one of its own).
    CONSTRAINT template_versions_template_id_id_key UNIQUE (template_id, id)
);

ALTER TABLE templates
    ADD CONSTRAINT templates_active_version_fkey
    FOREIGN KEY (id, active_version_id) REFERENCES template_versions (template_id, id)
    DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE presets (
    id                      uuid        PRIMARY KEY,
    template_version_id     uuid        NOT NULL REFERENCES template_versions (id),
    name                    text        NOT NULL CONSTRAINT presets_name_not_empty CHECK (name <> ''),
    -- NULL: the preset has no prebuilds.
    desired_instances       integer     NULL
                                        CONSTRAINT presets_desired_instances_check CHECK (desired_instances >= 0),
    -- Prebuild TTL in seconds; 0 means prebuilds never age out.
    invalidate_after_secs   integer     NOT NULL DEFAULT 0
                                        CONSTRAINT presets_invalidate_after_secs_check CHECK (invalidate_after_secs >= 0),
    -- IANA zone in which the preset's prebuild schedules are read; '' when it has none.
    scheduling_timezone     text        NOT NULL DEFAULT '',
    prebuild_status         text        NOT NULL DEFAULT 'healthy'
                                        CONSTRAINT presets_prebuild_status_check
                                        CHECK (prebuild_status IN ('healthy', 'hard_limited', 'validation_failed')),
    -- Manual invalidation: prebuilds created before this instant are expired.
    last_invalidated_at     timestamptz NULL,
    -- Operator reset of the hard limit: failures before this instant no longer count.
    failure_limit_reset_at  timestamptz NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT presets_template_version_id_name_key UNIQUE (template_version_id, name)
);

-- The exact parameter values a preset's prebuilds are built with.
CREATE TABLE preset_parameters (
    preset_id  uuid NOT NULL REFERENCES presets (id),
    name       text NOT NULL CONSTRAINT preset_parameters_name_not_empty CHECK (name <> ''),
    value      text NOT NULL,
    PRIMARY KEY (preset_id, name)
);

-- Time-of-day desired counts: while the cron range covers now (in the preset's zone), want desired_instances.
CREATE TABLE preset_prebuild_schedules (
    id                 uuid    PRIMARY KEY,
    preset_id          uuid    NOT NULL REFERENCES presets (id),
    cron_expression    text    NOT NULL CONSTRAINT preset_prebuild_schedules_cron_not_empty CHECK (cron_expression <> ''),
    desired_instances  integer NOT NULL
                               CONSTRAINT preset_prebuild_schedules_desired_instances_check CHECK (desired_instances >= 0)
);

CREATE INDEX preset_prebuild_schedules_preset_id_idx ON preset_prebuild_schedules (preset_id);

-- Claim outcomes per preset (claims and misses over recent windows feed the desired-count expression).
CREATE TABLE prebuild_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    preset_id   uuid        NOT NULL REFERENCES presets (id),
    kind        text        NOT NULL
                            CONSTRAINT prebuild_events_kind_check CHECK (kind IN ('claim_succeeded', 'claim_missed')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX prebuild_events_preset_id_created_at_idx ON prebuild_events (preset_id, created_at);

-- ---------------------------------------------------------------------------------------------------------------
-- Workspaces (= instances), provisioner jobs, builds
-- ---------------------------------------------------------------------------------------------------------------

-- One row per machine: a prebuild while the prebuilds user owns it, a user's workspace once claimed.
CREATE TABLE workspaces (
    id                  uuid        PRIMARY KEY,
    organization_id     uuid        NOT NULL REFERENCES organizations (id),
    owner_id            uuid        NOT NULL REFERENCES users (id),
    template_id         uuid        NOT NULL REFERENCES templates (id),
    -- The preset the instance was created from (NULL for a workspace created without one).
    preset_id           uuid        NULL REFERENCES presets (id),
    name                text        NOT NULL CONSTRAINT workspaces_name_not_empty CHECK (name <> ''),
    -- The name the provider knows the machine by: fixed at creation, unlike `name`, which a claim changes. GARM
    -- cleans up half-created machines by name, so it must never be reused.
    instance_name       text        NOT NULL CONSTRAINT workspaces_instance_name_not_empty CHECK (instance_name <> ''),
    deleted             boolean     NOT NULL DEFAULT false,
    -- CRON_TZ=<IANA zone> m h * * dow; NULL means no autostart.
    autostart_schedule  text        NULL,
    ttl                 interval    NULL CONSTRAINT workspaces_ttl_check CHECK (ttl > interval '0'),
    last_used_at        timestamptz NOT NULL DEFAULT now(),
    dormant_at          timestamptz NULL,
    deleting_at         timestamptz NULL,
    -- Cached next allowed autostart; NULLed by a trigger when the schedule changes so it is recomputed.
    next_start_at       timestamptz NULL,
    automatic_updates   text        NOT NULL DEFAULT 'never'
                                    CONSTRAINT workspaces_automatic_updates_check
                                    CHECK (automatic_updates IN ('always', 'never')),
    -- The machine, as its provider knows it (GARM's instance fields).
    provider_name       text        NOT NULL CONSTRAINT workspaces_provider_name_not_empty CHECK (provider_name <> ''),
    provider_id         text        NULL,
    instance_status     text        NOT NULL DEFAULT 'pending_create'
                                    CONSTRAINT workspaces_instance_status_check
                                    CHECK (instance_status IN ('pending_create', 'creating', 'running', 'stopped', 'error',
                                                               'pending_delete', 'pending_force_delete', 'deleting',
                                                               'deleted', 'unknown')),
    provider_fault      text        NULL,
    -- Addresses and OS details the provider reported.
    provider_details    jsonb       NOT NULL DEFAULT '{}'
                                    CONSTRAINT workspaces_provider_details_object
                                    CHECK (jsonb_typeof(provider_details) = 'object'),
    create_attempts     integer     NOT NULL DEFAULT 0
                                    CONSTRAINT workspaces_create_attempts_check CHECK (create_attempts >= 0),
    -- SHA-256 of the per-instance token the agent presents on its ready callback; the token itself is never stored.
    agent_token_hash    bytea       NULL CONSTRAINT workspaces_agent_token_hash_check CHECK (length(agent_token_hash) = 32),
    ready_at            timestamptz NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspaces_deleting_requires_dormant CHECK (deleting_at IS NULL OR dormant_at IS NOT NULL)
);

-- Workspace names are unique per owner among live workspaces (a deleted name can be reused).
CREATE UNIQUE INDEX workspaces_owner_id_name_key ON workspaces (owner_id, lower(name)) WHERE NOT deleted;

CREATE UNIQUE INDEX workspaces_instance_name_key ON workspaces (instance_name);

-- A provider's machine belongs to one live instance.
CREATE UNIQUE INDEX workspaces_provider_name_provider_id_key ON workspaces (provider_name, provider_id)
    WHERE provider_id IS NOT NULL AND NOT deleted;

-- The reconcile snapshot and the claim read only unclaimed prebuilds: a small partial index keeps both fast
-- however many claimed workspaces exist. (Literal id: the prebuilds user's fixed id.)
CREATE INDEX workspaces_unclaimed_prebuilds_idx ON workspaces (preset_id, created_at)
    INCLUDE (ready_at, instance_status)
    WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0' AND NOT deleted;

-- Template policy changes fan out to the template's workspaces.
CREATE INDEX workspaces_template_id_idx ON workspaces (template_id) WHERE NOT deleted;

-- Spec A48: a changed schedule invalidates the cached next start unless the same update sets it.
CREATE FUNCTION workspaces_nullify_next_start_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.autostart_schedule IS DISTINCT FROM OLD.autostart_schedule
       AND NEW.next_start_at IS NOT DISTINCT FROM OLD.next_start_at THEN
        NEW.next_start_at := NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER workspaces_nullify_next_start_at
    BEFORE UPDATE OF autostart_schedule ON workspaces
    FOR EACH ROW EXECUTE FUNCTION workspaces_nullify_next_start_at();

CREATE TABLE provisioner_jobs (
    id               uuid        PRIMARY KEY,
    organization_id  uuid        NOT NULL REFERENCES organizations (id),
    type             text        NOT NULL DEFAULT 'workspace_build'
                                 CONSTRAINT provisioner_jobs_type_check
                                 CHECK (type IN ('workspace_build', 'template_version_import')),
    initiator_id     uuid        NOT NULL REFERENCES users (id),
    -- Who carries the job out (a worker identity); NULL until picked up, and for jobs completed without work.
    worker_id        text        NULL,
    tags             jsonb       NOT NULL DEFAULT '{}'
                                 CONSTRAINT provisioner_jobs_tags_object CHECK (jsonb_typeof(tags) = 'object'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz NULL,
    canceled_at      timestamptz NULL,
    completed_at     timestamptz NULL,
    -- Empty or NULL means no error.
    error            text        NULL,
    -- Derived exactly as Coder derives it, stored so the snapshot can filter and index on it.
    job_status       text        GENERATED ALWAYS AS (
                         CASE
                             WHEN completed_at IS NOT NULL THEN
                                 CASE
                                     WHEN coalesce(error, '') <> '' THEN 'failed'
                                     WHEN canceled_at IS NOT NULL THEN 'canceled'
                                     ELSE 'succeeded'
                                 END
                             WHEN canceled_at IS NOT NULL THEN 'canceling'
                             WHEN started_at IS NULL THEN 'pending'
                             ELSE 'running'
                         END) STORED,
    CONSTRAINT provisioner_jobs_completed_after_started
        CHECK (completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);

CREATE INDEX provisioner_jobs_unfinished_idx ON provisioner_jobs (created_at) WHERE completed_at IS NULL;

CREATE TABLE workspace_builds (
    id                          uuid        PRIMARY KEY,
    workspace_id                uuid        NOT NULL REFERENCES workspaces (id),
    -- Unique per workspace: the final guard against two actors building at once (a violation means "already built").
    build_number                integer     NOT NULL CONSTRAINT workspace_builds_build_number_check CHECK (build_number >= 1),
    template_version_id         uuid        NOT NULL REFERENCES template_versions (id),
    template_version_preset_id  uuid        NULL REFERENCES presets (id),
    transition                  text        NOT NULL
                                            CONSTRAINT workspace_builds_transition_check
                                            CHECK (transition IN ('start', 'stop', 'delete')),
    reason                      text        NOT NULL DEFAULT 'initiator'
                                            CONSTRAINT workspace_builds_reason_check
                                            CHECK (reason IN ('initiator', 'autostart', 'autostop', 'dormancy', 'failedstop',
                                                              'autodelete', 'task_auto_pause')),
    initiator_id                uuid        NOT NULL REFERENCES users (id),
    job_id                      uuid        NOT NULL REFERENCES provisioner_jobs (id),
    is_prebuild                 boolean     NOT NULL DEFAULT false,
    -- Parameter values (name -> value) the build used.
    parameters                  jsonb       NOT NULL DEFAULT '{}'
                                            CONSTRAINT workspace_builds_parameters_object
                                            CHECK (jsonb_typeof(parameters) = 'object'),
    -- NULL means none (Coder's zero time).
    deadline                    timestamptz NULL,
    max_deadline                timestamptz NULL,
    -- The deadline for which the autostop reminder was sent (at most once per deadline).
    notified_autostop_deadline  timestamptz NULL,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspace_builds_workspace_id_build_number_key UNIQUE (workspace_id, build_number),
    CONSTRAINT workspace_builds_job_id_key UNIQUE (job_id),
    CONSTRAINT workspace_builds_deadline_within_max CHECK (deadline IS NULL OR max_deadline IS NULL OR deadline <= max_deadline)
);

-- Backoff and hard-limit queries: a preset's most recent start builds.
CREATE INDEX workspace_builds_preset_start_idx ON workspace_builds (template_version_preset_id, created_at DESC)
    WHERE transition = 'start';

-- ---------------------------------------------------------------------------------------------------------------
-- Notifications outbox, audit log, global settings
-- ---------------------------------------------------------------------------------------------------------------

-- Written in the same transaction as the state change it reports; a sender delivers pending rows afterwards.
CREATE TABLE notifications (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Makes enqueueing idempotent (e.g. "prebuild-hard-limited:<preset>:<admin>:<reset epoch>").
    dedupe_key    text        NOT NULL CONSTRAINT notifications_dedupe_key_not_empty CHECK (dedupe_key <> ''),
    -- The kind of message (workspace_dormant, workspace_auto_updated, prebuild_hard_limited, …).
    template      text        NOT NULL CONSTRAINT notifications_template_not_empty CHECK (template <> ''),
    recipient_id  uuid        NOT NULL REFERENCES users (id),
    labels        jsonb       NOT NULL DEFAULT '{}'
                              CONSTRAINT notifications_labels_object CHECK (jsonb_typeof(labels) = 'object'),
    data          jsonb       NOT NULL DEFAULT '{}'
                              CONSTRAINT notifications_data_object CHECK (jsonb_typeof(data) = 'object'),
    -- Ids of the entities the message is about (workspace, owner, template, organization…).
    targets       uuid[]      NOT NULL DEFAULT '{}',
    created_by    text        NOT NULL CONSTRAINT notifications_created_by_not_empty CHECK (created_by <> ''),
    status        text        NOT NULL DEFAULT 'pending'
                              CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'sent', 'failed')),
    attempts      integer     NOT NULL DEFAULT 0 CONSTRAINT notifications_attempts_check CHECK (attempts >= 0),
    last_error    text        NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz NULL,
    CONSTRAINT notifications_dedupe_key_key UNIQUE (dedupe_key)
);

CREATE INDEX notifications_pending_idx ON notifications (created_at) WHERE status = 'pending';
CREATE INDEX notifications_recipient_id_idx ON notifications (recipient_id, created_at);

CREATE TABLE audit_log (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time               timestamptz NOT NULL DEFAULT now(),
    -- Who acted (the owner for automatic transitions, as Coder records them).
    user_id            uuid        NULL REFERENCES users (id),
    organization_id    uuid        NULL REFERENCES organizations (id),
    action             text        NOT NULL
                                   CONSTRAINT audit_log_action_check
                                   CHECK (action IN ('create', 'write', 'delete', 'start', 'stop', 'claim', 'reset')),
    resource_type      text        NOT NULL
                                   CONSTRAINT audit_log_resource_type_check
                                   CHECK (resource_type IN ('organization', 'user', 'template', 'template_version',
                                                            'preset', 'workspace', 'settings')),
    resource_id        uuid        NOT NULL,
    -- What a person recognises the resource by (a workspace name).
    resource_target    text        NOT NULL DEFAULT '',
    old_value          jsonb       NULL,
    new_value          jsonb       NULL,
    -- HTTP-like outcome: 200 when the change committed, 500 when it did not.
    status_code        integer     NOT NULL CONSTRAINT audit_log_status_code_check CHECK (status_code BETWEEN 100 AND 599),
    additional_fields  jsonb       NOT NULL DEFAULT '{}'
                                   CONSTRAINT audit_log_additional_fields_object
                                   CHECK (jsonb_typeof(additional_fields) = 'object'),
    -- Lets a retried activity write its entry once.
    idempotency_key    text        NULL CONSTRAINT audit_log_idempotency_key_key UNIQUE
);

CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id, time);

-- Exactly one row (the primary key can only be true).
CREATE TABLE global_settings (
    id                     boolean     PRIMARY KEY DEFAULT true CONSTRAINT global_settings_single_row CHECK (id),
    reconciliation_paused  boolean     NOT NULL DEFAULT false,
    updated_at             timestamptz NOT NULL DEFAULT now()
);

INSERT INTO global_settings DEFAULT VALUES;
