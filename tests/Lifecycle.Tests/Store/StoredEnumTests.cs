using System.Text.RegularExpressions;
using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Prebuilds;
using Lifecycle.Workflows.Workspaces;
using Xunit;

namespace Lifecycle.Tests.Store;

/// <summary>The C# enums and the CHECK constraints of their columns list the same values.</summary>
public sealed partial class StoredEnumTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    /// <summary>(constraint, values the C# side stores, whether the database may allow more than the C# enum has).</summary>
    public static TheoryData<string, string[], bool> Columns => new()
    {
        { "users_status_check", [.. StoredText.Values<OwnerStatus>()], false },
        { "users_roles_check", [.. UserRoles.All], false },
        { "presets_prebuild_status_check", [.. StoredText.Values<PrebuildStatus>()], false },
        { "workspaces_instance_status_check", [.. StoredText.Values<InstanceStatus>()], false },
        { "workspaces_automatic_updates_check", [.. StoredText.Values<AutomaticUpdates>()], false },
        { "workspace_builds_transition_check", [.. StoredText.Values<BuildTransition>()], false },
        { "workspace_builds_reason_check", [.. StoredText.Values<StoredBuildReason>()], false },
        // The lifecycle rules use only some reasons; every one they use must be storable.
        { "workspace_builds_reason_check", [.. StoredText.Values<BuildReason>()], true },
        { "provisioner_jobs_type_check", [.. StoredText.Values<ProvisionerJobType>()], false },
        { "notifications_status_check", [.. StoredText.Values<NotificationStatus>()], false },
        { "audit_log_action_check", [.. StoredText.Values<AuditAction>()], false },
        { "audit_log_resource_type_check", [.. StoredText.Values<AuditResourceType>()], false },
        { "prebuild_events_kind_check", [.. StoredText.Values<PrebuildEventKind>()], false },
    };

    [Theory]
    [MemberData(nameof(Columns))]
    public async Task Check_constraint_lists_the_enum(string constraint, string[] enumValues, bool databaseMayAllowMore)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var definition = await connection.QuerySingleAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = @constraint", new { constraint });
        var allowed = QuotedValue().Matches(definition).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Subset(allowed, enumValues.ToHashSet());
        if (!databaseMayAllowMore)
        {
            Assert.Equal(allowed.Order(), enumValues.Order());
        }
    }

    [Fact]
    public async Task Job_status_values_are_the_build_statuses()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var expression = await connection.QuerySingleAsync<string>(
            "SELECT generation_expression FROM information_schema.columns WHERE table_name = 'provisioner_jobs' AND column_name = 'job_status'");
        var produced = QuotedValue().Matches(expression).Select(m => m.Groups[1].Value).Where(v => v.Length > 0).ToHashSet();

        Assert.Equal(StoredText.Values<BuildStatus>().Order(), produced.Order());
    }

    [Theory]
    [InlineData(InstanceStatus.PendingForceDelete, "pending_force_delete")]
    [InlineData(PrebuildStatus.HardLimited, "hard_limited")]
    [InlineData(StoredBuildReason.TaskAutoPause, "task_auto_pause")]
    [InlineData(OwnerStatus.Active, "active")]
    public void Members_are_stored_in_snake_case(Enum member, string text)
    {
        var stored = typeof(StoredText).GetMethod(nameof(StoredText.ToStoredText))!.MakeGenericMethod(member.GetType()).Invoke(null, [member]);

        Assert.Equal(text, stored);
    }

    [Fact]
    public void Unknown_text_is_refused_with_the_choices()
    {
        var error = Assert.Throws<FormatException>(() => StoredText.Parse<PrebuildStatus>("normal"));

        Assert.Equal("\"normal\" is not a stored PrebuildStatus (expected one of healthy, hard_limited, validation_failed)", error.Message);
        Assert.Equal(InstanceStatus.PendingCreate, StoredText.Parse<InstanceStatus>("pending_create"));
    }

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex QuotedValue();
}
