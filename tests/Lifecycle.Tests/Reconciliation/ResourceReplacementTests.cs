using System.Diagnostics.Metrics;
using System.Text.Json;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Prebuilds;
using Temporalio.Exceptions;
using Temporalio.Testing;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// Resource-replacement tracking (spec B32, scenario 82) through the real activity on real PostgreSQL: the counter
/// <c>coderd_prebuilt_workspaces_resource_replacements_total</c> and one notification per template admin, exactly once
/// per claim.
/// </summary>
public sealed class ResourceReplacementTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Counter = "coderd_prebuilt_workspaces_resource_replacements_total";

    [Fact]
    public async Task A_claims_replaced_resources_are_counted_once_and_each_template_admin_is_told_once()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1, name: "replaced");
        var admin = await seed.UserAsync(["template-admin"]);
        var suspendedAdmin = await seed.UserAsync(["template-admin"], status: "suspended");
        var claimant = await seed.UserAsync([]);
        var prebuild = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true);
        await ClaimAsync(prebuild, claimant, "dev");
        using var factory = new ScopedMeterFactory();
        using var metrics = new PrebuildMetrics(factory);
        var counts = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = Listen(factory, counts);
        var activities = new ResourceReplacementActivities(database.DataSource, metrics);
        var report = new ResourceReplacementReport(prebuild, new Dictionary<string, IReadOnlyList<string>>
        {
            ["docker_container[0]"] = ["env", "image"],
            ["docker_volume[0]"] = ["name"],
        });

        var first = await new ActivityEnvironment().RunAsync(() => activities.RecordResourceReplacementAsync(report));
        var retried = await new ActivityEnvironment().RunAsync(() => activities.RecordResourceReplacementAsync(report));

        Assert.Equal(new ResourceReplacementResult(Counted: true, NotificationsEnqueued: 1), first);
        Assert.Equal(new ResourceReplacementResult(Counted: false, NotificationsEnqueued: 0), retried);
        var (value, tags) = Assert.Single(counts);
        Assert.Equal(1, value);
        Assert.Equal("replaced", tags["preset_name"]);
        Assert.Equal($"tpl-{seed.TemplateId}", tags["template_name"]);
        Assert.Equal($"org-{seed.OrganizationId}", tags["organization_name"]);
        var notices = await seed.QueryAsync<(Guid Recipient, string Labels, string Data, Guid[] Targets)>(
            "SELECT recipient_id, labels::text, data::text, targets FROM notifications WHERE template = @template AND @prebuild = ANY(targets)",
            new { template = PrebuildResourceReplacement.NotificationTemplate, prebuild });
        var notice = Assert.Single(notices);
        Assert.Equal(admin, notice.Recipient);
        Assert.NotEqual(suspendedAdmin, notice.Recipient);
        using var labels = JsonDocument.Parse(notice.Labels);
        Assert.Equal("dev", labels.RootElement.GetProperty("workspace").GetString());
        Assert.Equal("replaced", labels.RootElement.GetProperty("preset").GetString());
        Assert.Equal("1", labels.RootElement.GetProperty("workspace_build_num").GetString());
        Assert.Equal($"u-{claimant}", labels.RootElement.GetProperty("claimant").GetString());
        using var data = JsonDocument.Parse(notice.Data);
        var replacements = data.RootElement.GetProperty("replacements");
        Assert.Equal("env,image", replacements.GetProperty("docker_container[0]").GetString());
        Assert.Equal("name", replacements.GetProperty("docker_volume[0]").GetString());
        Assert.Equal([prebuild, claimant, seed.TemplateId, seed.ActiveVersionId, preset, seed.OrganizationId], notice.Targets);
    }

    [Fact]
    public async Task Nothing_replaced_counts_nothing_and_an_unclaimed_prebuild_is_refused_by_name()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1);
        await seed.UserAsync(["template-admin"]);
        var claimant = await seed.UserAsync([]);
        var claimed = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true);
        await ClaimAsync(claimed, claimant, "dev");
        var unclaimed = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true);
        using var factory = new ScopedMeterFactory();
        using var metrics = new PrebuildMetrics(factory);
        var counts = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = Listen(factory, counts);
        var activities = new ResourceReplacementActivities(database.DataSource, metrics);

        var none = await new ActivityEnvironment().RunAsync(() => activities.RecordResourceReplacementAsync(
            new ResourceReplacementReport(claimed, new Dictionary<string, IReadOnlyList<string>>())));
        var refused = await Assert.ThrowsAsync<ApplicationFailureException>(() => new ActivityEnvironment().RunAsync(() =>
            activities.RecordResourceReplacementAsync(new ResourceReplacementReport(unclaimed, new Dictionary<string, IReadOnlyList<string>> { ["vm"] = ["size"] }))));

        Assert.Equal(new ResourceReplacementResult(false, 0), none);
        Assert.Equal("NotAClaimedPrebuild", refused.ErrorType);
        Assert.Contains($"instance {unclaimed}: not a claimed prebuild", refused.Message, StringComparison.Ordinal);
        Assert.Empty(counts);
        Assert.Equal(0, await seed.ScalarAsync<int>(
            "SELECT count(*)::int FROM notifications WHERE template = @template AND targets && @ids",
            new { template = PrebuildResourceReplacement.NotificationTemplate, ids = new[] { claimed, unclaimed } }));
        Assert.Equal(0, await seed.ScalarAsync<int>(
            "SELECT count(*)::int FROM audit_log WHERE idempotency_key LIKE 'resource-replaced/%' AND resource_id = ANY(@ids)",
            new { ids = new[] { claimed, unclaimed } }));
    }

    private static MeterListener Listen(ScopedMeterFactory factory, List<(long Value, Dictionary<string, object?> Tags)> counts)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == Counter && ReferenceEquals(instrument.Meter.Scope, factory))
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            counts.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal))));
        listener.Start();
        return listener;
    }

    private Task<ClaimedWorkspace> ClaimAsync(Guid instanceId, Guid owner, string name) =>
        new ActivityEnvironment().RunAsync(() => new ClaimActivities(database.DataSource)
            .ClaimPrebuildAsync(new ClaimPrebuildRequest(instanceId, new ClaimRequest(owner, name))));
}
