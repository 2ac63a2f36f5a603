using Npgsql;

namespace Lifecycle.Tests.Store;

/// <summary>One valid row in every table, with fixed ids, for constraint tests to break one thing at a time.</summary>
public static class StoreSeed
{
    /// <summary>Inserts the seed (the prebuilds user and the settings row come from the migration itself).</summary>
    public const string Sql = """
        INSERT INTO organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'acme');
        INSERT INTO users (id, username, status, roles) VALUES ('00000000-0000-0000-0000-0000000000ad', 'alice', 'active', '{template-admin}');
        INSERT INTO organization_members (organization_id, user_id) VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000ad');
        INSERT INTO templates (id, organization_id, name, provider_name) VALUES ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-00000000000a', 'dev', 'process');
        INSERT INTO template_versions (id, template_id, name) VALUES ('00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-0000000000e1', 'v1');
        UPDATE templates SET active_version_id = '00000000-0000-0000-0000-0000000000e2' WHERE id = '00000000-0000-0000-0000-0000000000e1';
        INSERT INTO presets (id, template_version_id, name, desired_instances) VALUES ('00000000-0000-0000-0000-0000000000e3', '00000000-0000-0000-0000-0000000000e2', 'small', 3);
        INSERT INTO preset_parameters (preset_id, name, value) VALUES ('00000000-0000-0000-0000-0000000000e3', 'cpu', '2');
        INSERT INTO preset_prebuild_schedules (id, preset_id, cron_expression, desired_instances) VALUES (gen_random_uuid(), '00000000-0000-0000-0000-0000000000e3', '* 9-18 * * 1-5', 5);
        INSERT INTO workspaces (id, organization_id, owner_id, template_id, preset_id, name, instance_name, provider_name)
            VALUES ('00000000-0000-0000-0000-0000000000e4', '00000000-0000-0000-0000-00000000000a', 'c42fdf75-3097-471c-8c33-fb52454d81c0',
                    '00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000e3', 'prebuild-1', 'lc-prebuild-1', 'process');
        INSERT INTO provisioner_jobs (id, organization_id, initiator_id) VALUES ('00000000-0000-0000-0000-0000000000e5', '00000000-0000-0000-0000-00000000000a', 'c42fdf75-3097-471c-8c33-fb52454d81c0');
        INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id, transition, reason, initiator_id, job_id, is_prebuild)
            VALUES ('00000000-0000-0000-0000-0000000000e6', '00000000-0000-0000-0000-0000000000e4', 1, '00000000-0000-0000-0000-0000000000e2',
                    '00000000-0000-0000-0000-0000000000e3', 'start', 'initiator', 'c42fdf75-3097-471c-8c33-fb52454d81c0', '00000000-0000-0000-0000-0000000000e5', true);
        INSERT INTO notifications (dedupe_key, template, recipient_id, created_by) VALUES ('seed', 'workspace_dormant', '00000000-0000-0000-0000-0000000000ad', 'test');
        INSERT INTO audit_log (user_id, action, resource_type, resource_id, status_code) VALUES ('00000000-0000-0000-0000-0000000000ad', 'write', 'workspace', '00000000-0000-0000-0000-0000000000e4', 200);
        INSERT INTO prebuild_events (preset_id, kind) VALUES ('00000000-0000-0000-0000-0000000000e3', 'claim_succeeded');
        """;

    public static readonly Guid OrganizationId = new("00000000-0000-0000-0000-00000000000a");
    public static readonly Guid AdminId = new("00000000-0000-0000-0000-0000000000ad");
    public static readonly Guid TemplateId = new("00000000-0000-0000-0000-0000000000e1");
    public static readonly Guid VersionId = new("00000000-0000-0000-0000-0000000000e2");
    public static readonly Guid PresetId = new("00000000-0000-0000-0000-0000000000e3");
    public static readonly Guid WorkspaceId = new("00000000-0000-0000-0000-0000000000e4");
    public static readonly Guid JobId = new("00000000-0000-0000-0000-0000000000e5");
    public static readonly Guid BuildId = new("00000000-0000-0000-0000-0000000000e6");

    /// <summary>Opens a transaction with every constraint checked at once (deferred FKs included) and inserts the seed.</summary>
    public static async Task<NpgsqlTransaction> BeginSeededAsync(NpgsqlConnection connection)
    {
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("SET CONSTRAINTS ALL IMMEDIATE;\n" + Sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
        return transaction;
    }
}
