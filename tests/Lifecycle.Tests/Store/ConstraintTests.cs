using Lifecycle.Testing.Postgres;
using Npgsql;
using Xunit;

namespace Lifecycle.Tests.Store;

/// <summary>Every table refuses bad rows: each case breaks one rule of a valid seed and names the constraint that stops it.</summary>
public sealed class ConstraintTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Check = PostgresErrorCodes.CheckViolation;
    private const string ForeignKey = PostgresErrorCodes.ForeignKeyViolation;
    private const string Unique = PostgresErrorCodes.UniqueViolation;
    private const string NotNull = PostgresErrorCodes.NotNullViolation;

    private const string Org = "'00000000-0000-0000-0000-00000000000a'";
    private const string Admin = "'00000000-0000-0000-0000-0000000000ad'";
    private const string Prebuilds = "'c42fdf75-3097-471c-8c33-fb52454d81c0'";
    private const string Template = "'00000000-0000-0000-0000-0000000000e1'";
    private const string Version = "'00000000-0000-0000-0000-0000000000e2'";
    private const string Preset = "'00000000-0000-0000-0000-0000000000e3'";
    private const string Workspace = "'00000000-0000-0000-0000-0000000000e4'";
    private const string Missing = "'99999999-9999-9999-9999-999999999999'";

    private const string ActiveVersionOfOtherTemplate = $"""
            INSERT INTO templates (id, organization_id, name, provider_name) VALUES ('00000000-0000-0000-0000-0000000000f1', {Org}, 'other', 'process');
            INSERT INTO template_versions (id, template_id, name) VALUES ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000f1', 'v1');
            UPDATE templates SET active_version_id = '00000000-0000-0000-0000-0000000000f2' WHERE id = {Template}
            """;

    private const string SecondBuildNumberOne = $"""
            INSERT INTO provisioner_jobs (id, organization_id, initiator_id) VALUES ('00000000-0000-0000-0000-0000000000f5', {Org}, {Admin});
            INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, transition, initiator_id, job_id)
                VALUES (gen_random_uuid(), {Workspace}, 1, {Version}, 'stop', {Admin}, '00000000-0000-0000-0000-0000000000f5')
            """;

    private const string BuildOfMissingWorkspace = $"""
            INSERT INTO provisioner_jobs (id, organization_id, initiator_id) VALUES ('00000000-0000-0000-0000-0000000000f5', {Org}, {Admin});
            INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, transition, initiator_id, job_id)
                VALUES (gen_random_uuid(), {Missing}, 1, {Version}, 'start', {Admin}, '00000000-0000-0000-0000-0000000000f5')
            """;

    /// <summary>(case name, statement, expected SQLSTATE, expected constraint name or "" when the state is enough).</summary>
    public static TheoryData<string, string, string, string> BadRows => new()
    {
        // organizations, users
        { "organization with an empty name", "INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), '')", Check, "organizations_name_not_empty" },
        { "two organizations with one name", "INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'acme')", Unique, "organizations_name_key" },
        { "user with an unknown status", "INSERT INTO users (id, username, status) VALUES (gen_random_uuid(), 'bob', 'banned')", Check, "users_status_check" },
        { "user with an unknown role", "INSERT INTO users (id, username, roles) VALUES (gen_random_uuid(), 'bob', '{superuser}')", Check, "users_roles_check" },
        { "two users with one username", "INSERT INTO users (id, username) VALUES (gen_random_uuid(), 'alice')", Unique, "users_username_key" },
        { "membership of a missing user", $"INSERT INTO organization_members (organization_id, user_id) VALUES ({Org}, {Missing})", ForeignKey, "organization_members_user_id_fkey" },

        // templates and versions
        { "template of a missing organization", $"INSERT INTO templates (id, organization_id, name, provider_name) VALUES (gen_random_uuid(), {Missing}, 'x', 'process')", ForeignKey, "templates_organization_id_fkey" },
        { "template without a provider", $"INSERT INTO templates (id, organization_id, name, provider_name) VALUES (gen_random_uuid(), {Org}, 'x', '')", Check, "templates_provider_name_not_empty" },
        { "two live templates with one name", $"INSERT INTO templates (id, organization_id, name, provider_name) VALUES (gen_random_uuid(), {Org}, 'DEV', 'process')", Unique, "templates_organization_id_name_key" },
        { "allowed autostart days beyond 7 bits", $"UPDATE templates SET autostart_allowed_days = 128 WHERE id = {Template}", Check, "templates_autostart_allowed_days_check" },
        { "autostop requirement every 0 weeks", $"UPDATE templates SET autostop_requirement_weeks = 0 WHERE id = {Template}", Check, "templates_autostop_requirement_weeks_check" },
        { "autostop requirement every 17 weeks", $"UPDATE templates SET autostop_requirement_weeks = 17 WHERE id = {Template}", Check, "templates_autostop_requirement_weeks_check" },
        { "negative failure ttl", $"UPDATE templates SET failure_ttl = interval '-1 minute' WHERE id = {Template}", Check, "templates_failure_ttl_check" },
        { "negative time til dormant", $"UPDATE templates SET time_til_dormant = interval '-1 second' WHERE id = {Template}", Check, "templates_time_til_dormant_check" },
        { "zero bootstrap timeout", $"UPDATE templates SET bootstrap_timeout = interval '0' WHERE id = {Template}", Check, "templates_bootstrap_timeout_check" },
        { "active version of another template", ActiveVersionOfOtherTemplate, ForeignKey, "templates_active_version_fkey" },
        { "version of a missing template", $"INSERT INTO template_versions (id, template_id, name) VALUES (gen_random_uuid(), {Missing}, 'v9')", ForeignKey, "template_versions_template_id_fkey" },
        { "two versions with one name", $"INSERT INTO template_versions (id, template_id, name) VALUES (gen_random_uuid(), {Template}, 'v1')", Unique, "template_versions_template_id_name_key" },
        { "extra specs that are not an object", $"UPDATE template_versions SET provider_extra_specs = '[1]' WHERE id = {Version}", Check, "template_versions_extra_specs_object" },

        // presets
        { "negative desired instances", $"UPDATE presets SET desired_instances = -1 WHERE id = {Preset}", Check, "presets_desired_instances_check" },
        { "negative prebuild ttl", $"UPDATE presets SET invalidate_after_secs = -5 WHERE id = {Preset}", Check, "presets_invalidate_after_secs_check" },
        { "unknown prebuild status", $"UPDATE presets SET prebuild_status = 'normal' WHERE id = {Preset}", Check, "presets_prebuild_status_check" },
        { "blank target expression", $"UPDATE presets SET target_expression = '  ' WHERE id = {Preset}", Check, "presets_target_expression_not_blank" },
        { "target expression over 1000 characters", $"UPDATE presets SET target_expression = repeat('1', 1001) WHERE id = {Preset}", Check, "presets_target_expression_length" },
        { "preset of a missing version", $"INSERT INTO presets (id, template_version_id, name) VALUES (gen_random_uuid(), {Missing}, 'x')", ForeignKey, "presets_template_version_id_fkey" },
        { "two presets with one name in a version", $"INSERT INTO presets (id, template_version_id, name) VALUES (gen_random_uuid(), {Version}, 'small')", Unique, "presets_template_version_id_name_key" },
        { "parameter of a missing preset", $"INSERT INTO preset_parameters (preset_id, name, value) VALUES ({Missing}, 'cpu', '1')", ForeignKey, "preset_parameters_preset_id_fkey" },
        { "a parameter set twice", $"INSERT INTO preset_parameters (preset_id, name, value) VALUES ({Preset}, 'cpu', '4')", Unique, "preset_parameters_pkey" },
        { "schedule with negative desired instances", $"INSERT INTO preset_prebuild_schedules (id, preset_id, cron_expression, desired_instances) VALUES (gen_random_uuid(), {Preset}, '* 1 * * *', -2)", Check, "preset_prebuild_schedules_desired_instances_check" },
        { "schedule of a missing preset", $"INSERT INTO preset_prebuild_schedules (id, preset_id, cron_expression, desired_instances) VALUES (gen_random_uuid(), {Missing}, '* 1 * * *', 1)", ForeignKey, "preset_prebuild_schedules_preset_id_fkey" },
        { "unknown prebuild event kind", $"INSERT INTO prebuild_events (preset_id, kind) VALUES ({Preset}, 'claimed')", Check, "prebuild_events_kind_check" },

        // workspaces (instances)
        { "unknown instance status", $"UPDATE workspaces SET instance_status = 'ready' WHERE id = {Workspace}", Check, "workspaces_instance_status_check" },
        { "unknown automatic updates", $"UPDATE workspaces SET automatic_updates = 'sometimes' WHERE id = {Workspace}", Check, "workspaces_automatic_updates_check" },
        { "negative create attempts", $"UPDATE workspaces SET create_attempts = -1 WHERE id = {Workspace}", Check, "workspaces_create_attempts_check" },
        { "zero ttl", $"UPDATE workspaces SET ttl = interval '0' WHERE id = {Workspace}", Check, "workspaces_ttl_check" },
        { "deleting without being dormant", $"UPDATE workspaces SET deleting_at = now() WHERE id = {Workspace}", Check, "workspaces_deleting_requires_dormant" },
        { "agent token hash of the wrong length", $"UPDATE workspaces SET agent_token_hash = '\\x0102' WHERE id = {Workspace}", Check, "workspaces_agent_token_hash_check" },
        { "workspace of a missing owner", $"INSERT INTO workspaces (id, organization_id, owner_id, template_id, name, instance_name, provider_name) VALUES (gen_random_uuid(), {Org}, {Missing}, {Template}, 'w', 'lc-w', 'process')", ForeignKey, "workspaces_owner_id_fkey" },
        { "workspace of a missing template", $"INSERT INTO workspaces (id, organization_id, owner_id, template_id, name, instance_name, provider_name) VALUES (gen_random_uuid(), {Org}, {Admin}, {Missing}, 'w', 'lc-w', 'process')", ForeignKey, "workspaces_template_id_fkey" },
        { "two live workspaces with one name per owner", $"INSERT INTO workspaces (id, organization_id, owner_id, template_id, name, instance_name, provider_name) VALUES (gen_random_uuid(), {Org}, {Prebuilds}, {Template}, 'Prebuild-1', 'lc-other', 'process')", Unique, "workspaces_owner_id_name_key" },
        { "two instances with one provider name", $"INSERT INTO workspaces (id, organization_id, owner_id, template_id, name, instance_name, provider_name) VALUES (gen_random_uuid(), {Org}, {Admin}, {Template}, 'mine', 'lc-prebuild-1', 'process')", Unique, "workspaces_instance_name_key" },
        { "workspace without an instance name", $"INSERT INTO workspaces (id, organization_id, owner_id, template_id, name, provider_name) VALUES (gen_random_uuid(), {Org}, {Admin}, {Template}, 'mine', 'process')", NotNull, "" },

        // provisioner jobs and builds
        { "unknown job type", $"INSERT INTO provisioner_jobs (id, organization_id, initiator_id, type) VALUES (gen_random_uuid(), {Org}, {Admin}, 'terraform_plan')", Check, "provisioner_jobs_type_check" },
        { "job completed before it started", $"INSERT INTO provisioner_jobs (id, organization_id, initiator_id, started_at, completed_at) VALUES (gen_random_uuid(), {Org}, {Admin}, now(), now() - interval '1 minute')", Check, "provisioner_jobs_completed_after_started" },
        { "job of a missing initiator", $"INSERT INTO provisioner_jobs (id, organization_id, initiator_id) VALUES (gen_random_uuid(), {Org}, {Missing})", ForeignKey, "provisioner_jobs_initiator_id_fkey" },
        { "a second build number 1", SecondBuildNumberOne, Unique, "workspace_builds_workspace_id_build_number_key" },
        { "build number 0", $"UPDATE workspace_builds SET build_number = 0 WHERE workspace_id = {Workspace}", Check, "workspace_builds_build_number_check" },
        { "unknown transition", $"UPDATE workspace_builds SET transition = 'restart' WHERE workspace_id = {Workspace}", Check, "workspace_builds_transition_check" },
        { "unknown build reason", $"UPDATE workspace_builds SET reason = 'whim' WHERE workspace_id = {Workspace}", Check, "workspace_builds_reason_check" },
        { "deadline past the max deadline", $"UPDATE workspace_builds SET deadline = now() + interval '2 hours', max_deadline = now() + interval '1 hour' WHERE workspace_id = {Workspace}", Check, "workspace_builds_deadline_within_max" },
        { "build of a missing workspace", BuildOfMissingWorkspace, ForeignKey, "workspace_builds_workspace_id_fkey" },
        { "two builds of one job", $"INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, transition, initiator_id, job_id) VALUES (gen_random_uuid(), {Workspace}, 2, {Version}, 'stop', {Admin}, '00000000-0000-0000-0000-0000000000e5')", Unique, "workspace_builds_job_id_key" },

        // outbox, audit, settings
        { "a notification enqueued twice", $"INSERT INTO notifications (dedupe_key, template, recipient_id, created_by) VALUES ('seed', 'workspace_dormant', {Admin}, 'test')", Unique, "notifications_dedupe_key_key" },
        { "notification to a missing user", $"INSERT INTO notifications (dedupe_key, template, recipient_id, created_by) VALUES ('k2', 'workspace_dormant', {Missing}, 'test')", ForeignKey, "notifications_recipient_id_fkey" },
        { "unknown notification status", "UPDATE notifications SET status = 'lost'", Check, "notifications_status_check" },
        { "negative notification attempts", "UPDATE notifications SET attempts = -1", Check, "notifications_attempts_check" },
        { "labels that are not an object", "UPDATE notifications SET labels = '\"text\"'", Check, "notifications_labels_object" },
        { "unknown audit action", $"INSERT INTO audit_log (action, resource_type, resource_id, status_code) VALUES ('explode', 'workspace', {Workspace}, 200)", Check, "audit_log_action_check" },
        { "unknown audit resource type", $"INSERT INTO audit_log (action, resource_type, resource_id, status_code) VALUES ('write', 'planet', {Workspace}, 200)", Check, "audit_log_resource_type_check" },
        { "audit status that is not HTTP", $"INSERT INTO audit_log (action, resource_type, resource_id, status_code) VALUES ('write', 'workspace', {Workspace}, 42)", Check, "audit_log_status_code_check" },
        { "audit entry written twice", $"INSERT INTO audit_log (action, resource_type, resource_id, status_code, idempotency_key) VALUES ('write', 'workspace', {Workspace}, 200, 'k'), ('write', 'workspace', {Workspace}, 200, 'k')", Unique, "audit_log_idempotency_key_key" },
        { "a second settings row", "INSERT INTO global_settings (id) VALUES (true)", Unique, "global_settings_pkey" },
        { "a settings row that is not the one", "INSERT INTO global_settings (id) VALUES (false)", Check, "global_settings_single_row" },
    };

    [Theory]
    [MemberData(nameof(BadRows))]
    public async Task Rejects(string rule, string sql, string sqlState, string constraint)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await StoreSeed.BeginSeededAsync(connection);
        await using var command = new NpgsqlCommand(sql, connection, transaction);

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.True(error.SqlState == sqlState, $"{rule}: expected SQLSTATE {sqlState}, got {error.SqlState} ({error.MessageText})");
        if (constraint.Length > 0)
        {
            Assert.Equal(constraint, error.ConstraintName);
        }
    }

    [Fact]
    public async Task Accepts_the_valid_seed_and_the_rows_the_rules_allow()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await StoreSeed.BeginSeededAsync(connection);
        // A deleted workspace's name may be reused; a preset without prebuilds has NULL desired instances; a dormant
        // workspace may be scheduled for deletion; a deadline equal to the max deadline is allowed.
        await using var command = new NpgsqlCommand($"""
            UPDATE workspaces SET deleted = true WHERE id = {Workspace};
            INSERT INTO workspaces (id, organization_id, owner_id, template_id, name, instance_name, provider_name, dormant_at, deleting_at)
                VALUES (gen_random_uuid(), {Org}, {Prebuilds}, {Template}, 'prebuild-1', 'lc-prebuild-2', 'process', now(), now() + interval '7 days');
            INSERT INTO presets (id, template_version_id, name, desired_instances) VALUES (gen_random_uuid(), {Version}, 'no-prebuilds', NULL);
            UPDATE workspace_builds SET deadline = now() + interval '1 hour', max_deadline = now() + interval '1 hour' WHERE workspace_id = {Workspace};
            SELECT count(*) FROM workspaces WHERE name = 'prebuild-1';
            """, connection, transaction);

        var count = await command.ExecuteScalarAsync();

        Assert.Equal(2L, count);
    }

    [Theory]
    [InlineData("schedule changed alone", "autostart_schedule = 'CRON_TZ=UTC 0 10 * * 1-5'", null)]
    [InlineData("schedule changed with a new next start", "autostart_schedule = 'CRON_TZ=UTC 0 10 * * 1-5', next_start_at = '2030-01-01T10:00:00Z'", "2030-01-01T10:00:00Z")]
    [InlineData("schedule unchanged", "last_used_at = now()", "2030-01-01T09:00:00Z")]
    public async Task A_changed_autostart_schedule_clears_the_cached_next_start(string rule, string update, string? expectedNextStart)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await StoreSeed.BeginSeededAsync(connection);
        await using var command = new NpgsqlCommand($"""
            UPDATE workspaces SET autostart_schedule = 'CRON_TZ=UTC 0 9 * * 1-5', next_start_at = '2030-01-01T09:00:00Z' WHERE id = {Workspace};
            UPDATE workspaces SET {update} WHERE id = {Workspace};
            SELECT next_start_at FROM workspaces WHERE id = {Workspace};
            """, connection, transaction);

        var nextStart = await command.ExecuteScalarAsync();

        var expected = expectedNextStart is null ? (object)DBNull.Value : DateTime.Parse(expectedNextStart, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.True(Equals(expected, nextStart), $"{rule}: expected {expected}, got {nextStart}");
    }

    [Fact]
    public async Task Job_status_is_derived_as_coder_derives_it()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await StoreSeed.BeginSeededAsync(connection);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO provisioner_jobs (id, organization_id, initiator_id, started_at, canceled_at, completed_at, error) VALUES
              ('00000000-0000-0000-0000-000000000101', {Org}, {Admin}, NULL, NULL, NULL, NULL),
              ('00000000-0000-0000-0000-000000000102', {Org}, {Admin}, now(), NULL, NULL, NULL),
              ('00000000-0000-0000-0000-000000000103', {Org}, {Admin}, now(), NULL, now(), ''),
              ('00000000-0000-0000-0000-000000000104', {Org}, {Admin}, now(), NULL, now(), 'boom'),
              ('00000000-0000-0000-0000-000000000105', {Org}, {Admin}, now(), now(), NULL, NULL),
              ('00000000-0000-0000-0000-000000000106', {Org}, {Admin}, NULL, now(), now(), NULL),
              ('00000000-0000-0000-0000-000000000107', {Org}, {Admin}, now(), now(), now(), 'canceled with error');
            SELECT string_agg(job_status, ',' ORDER BY id) FROM provisioner_jobs WHERE id::text LIKE '00000000-0000-0000-0000-0000000001%';
            """, connection, transaction);

        var statuses = await command.ExecuteScalarAsync();

        Assert.Equal("pending,running,succeeded,failed,canceling,canceled,failed", statuses);
    }
}
