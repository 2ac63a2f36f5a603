using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Prebuilds;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>The snapshot queries against real PostgreSQL: spec §4.5's matrix as the store can express it.</summary>
public sealed class PrebuildSnapshotTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly PrebuildOptions Options = PrebuildOptions.Default;

    private static SeedBuild Start(Job job, DateTimeOffset? at = null) => new("start", job, at);

    [Fact]
    public async Task Running_prebuilds_are_latest_successful_starts_of_unclaimed_live_instances()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 5);
        var user = await seed.UserAsync([]);
        var ready = await seed.InstanceAsync(preset, [Start(Job.Succeeded)], ready: true);
        var notReady = await seed.InstanceAsync(preset, [Start(Job.Succeeded)], ready: false);
        await seed.InstanceAsync(preset, [Start(Job.Succeeded)], owner: user);                          // claimed
        await seed.InstanceAsync(preset, [Start(Job.Succeeded)], deleted: true);                        // deleted
        await seed.InstanceAsync(preset, [Start(Job.Failed)], instanceStatus: "error");                  // failed: evidence, not running
        await seed.InstanceAsync(preset, [Start(Job.Canceled)]);                                        // canceled
        await seed.InstanceAsync(preset, [Start(Job.Succeeded), new("stop", Job.Succeeded)]);           // stopped
        await seed.InstanceAsync(preset, [Start(Job.Succeeded), new("delete", Job.Pending)]);           // being deleted
        await seed.InstanceAsync(preset, [Start(Job.Succeeded)], instanceStatus: "pending_delete");     // its workflow is deleting it

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        var running = read.Snapshot.Running.Where(r => r.PresetId == preset).ToList();

        Assert.Equal(new[] { ready, notReady }.Order(), running.Select(r => r.Id).Order());
        Assert.True(running.Single(r => r.Id == ready).Ready);
        Assert.False(running.Single(r => r.Id == notReady).Ready);
    }

    [Fact]
    public async Task Running_prebuild_counts_for_the_preset_of_its_latest_start_and_carries_the_instance_creation_time()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1);
        var created = DateTimeOffset.UtcNow.AddHours(-3);
        var id = await seed.InstanceAsync(preset, [Start(Job.Succeeded, created.AddMinutes(5))], createdAt: created);

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        var row = read.Snapshot.Running.Single(r => r.Id == id);

        Assert.Equal(preset, row.PresetId);
        Assert.Equal(created.ToUnixTimeMilliseconds(), row.CreatedAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Expiry_is_decided_from_the_snapshot_with_the_database_clock()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 2, invalidateAfterSecs: 3600);
        var old = await seed.InstanceAsync(preset, [Start(Job.Succeeded)], createdAt: DateTimeOffset.UtcNow.AddHours(-2), ready: true);
        await seed.InstanceAsync(preset, [Start(Job.Succeeded)], createdAt: DateTimeOffset.UtcNow.AddMinutes(-5), ready: true);

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        var decision = PresetReconciliation.Decide(read.Snapshot.ForPreset(preset), read.ReadAt, Options);

        Assert.Equal(1, decision.State.Expired);
        Assert.Equal(1, decision.State.Eligible);
        Assert.Equal([old], decision.Actions.Single(a => a.Kind == PrebuildActionKind.Delete).DeleteIds);
        Assert.Equal(1, decision.Actions.Single(a => a.Kind == PrebuildActionKind.Create).Create);
    }

    [Fact]
    public async Task In_progress_counts_are_per_preset_and_transition_on_the_active_version_only()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 3);
        var sibling = await seed.PresetAsync(desired: 3, name: "large");
        await seed.InstanceAsync(preset, [Start(Job.Pending)]);
        await seed.InstanceAsync(preset, [Start(Job.Running)]);
        await seed.InstanceAsync(preset, [Start(Job.Succeeded), new("stop", Job.Running)]);
        await seed.InstanceAsync(preset, [Start(Job.Succeeded), new("delete", Job.Pending)]);
        await seed.InstanceAsync(preset, [Start(Job.Succeeded), new("delete", Job.Running)]);
        await seed.InstanceAsync(preset, [Start(Job.Succeeded), new("delete", Job.Succeeded)], deleted: true);
        await seed.InstanceAsync(sibling, [Start(Job.Pending)]);
        var oldVersion = seed.ActiveVersionId;
        var oldPreset = await seed.PresetAsync(desired: 1, name: "old");
        await seed.InstanceAsync(oldPreset, [Start(Job.Running)]);
        await seed.VersionAsync();

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        int Count(Guid p, PrebuildTransition t) => read.Snapshot.InProgress.Where(r => r.PresetId == p && r.Transition == t).Sum(r => r.Count);

        // The version change made every preset above inactive; in-progress rows exist only for active versions.
        Assert.Equal(0, Count(oldPreset, PrebuildTransition.Start));
        Assert.Equal(0, Count(preset, PrebuildTransition.Start));
        Assert.NotEqual(oldVersion, seed.ActiveVersionId);

        var active = await seed.PresetAsync(desired: 3, name: "current");
        await seed.InstanceAsync(active, [Start(Job.Pending)]);
        await seed.InstanceAsync(active, [Start(Job.Running)]);
        await seed.InstanceAsync(active, [Start(Job.Succeeded), new("stop", Job.Running)]);
        await seed.InstanceAsync(active, [Start(Job.Succeeded), new("delete", Job.Pending)]);
        await seed.InstanceAsync(active, [Start(Job.Succeeded), new("delete", Job.Running)]);
        await seed.InstanceAsync(active, [Start(Job.Succeeded), new("delete", Job.Succeeded)], deleted: true);
        var activeSibling = await seed.PresetAsync(desired: 3, name: "current-large");
        await seed.InstanceAsync(activeSibling, [Start(Job.Pending)]);

        read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        Assert.Equal(2, Count(active, PrebuildTransition.Start));
        Assert.Equal(1, Count(active, PrebuildTransition.Stop));
        Assert.Equal(2, Count(active, PrebuildTransition.Delete));
        Assert.Equal(1, Count(activeSibling, PrebuildTransition.Start));
    }

    [Fact]
    public async Task Pending_counts_only_unpicked_initial_starts_on_a_non_active_version()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 2);
        var user = await seed.UserAsync([]);
        await seed.InstanceAsync(preset, [Start(Job.Pending)]);                                   // counted once inactive
        await seed.InstanceAsync(preset, [Start(Job.Pending)]);                                   // counted once inactive
        await seed.InstanceAsync(preset, [new("start", Job.Pending, PickedUp: true)]);             // a worker has it
        await seed.InstanceAsync(preset, [Start(Job.Running)]);                                   // running
        await seed.InstanceAsync(preset, [Start(Job.Succeeded), Start(Job.Pending)]);             // second build
        await seed.InstanceAsync(preset, [Start(Job.Pending)], owner: user);                      // a user's workspace
        await seed.InstanceAsync(preset, [Start(Job.Canceled)]);                                  // already canceled

        var before = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        Assert.DoesNotContain(before.Snapshot.Pending, p => p.PresetId == preset);

        await seed.VersionAsync();
        var after = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        Assert.Equal(2, after.Snapshot.Pending.Single(p => p.PresetId == preset).Count);
        Assert.False(after.Snapshot.Presets.Single(p => p.Id == preset).IsActive);
    }

    [Fact]
    public async Task Backoff_counts_failures_inside_the_lookback_and_matches_the_reference()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var now = DateTimeOffset.UtcNow;
        var within = await seed.PresetAsync(desired: 2, name: "within");
        var outside = await seed.PresetAsync(desired: 2, name: "outside");
        var recovered = await seed.PresetAsync(desired: 1, name: "recovered");
        var attempts = new Dictionary<Guid, List<PrebuildAttempt>>();
        async Task Attempt(Guid preset, Job job, DateTimeOffset at, string status = "error")
        {
            await seed.InstanceAsync(preset, [Start(job, at)], createdAt: at, instanceStatus: status, deleted: job == Job.Failed);
            (attempts.TryGetValue(preset, out var list) ? list : attempts[preset] = []).Add(new PrebuildAttempt(at, job == Job.Failed));
        }

        await Attempt(within, Job.Failed, now.AddMinutes(-50));
        await Attempt(within, Job.Failed, now.AddMinutes(-10));
        await Attempt(within, Job.Failed, now.AddMinutes(-90));                          // outside: not counted
        await Attempt(outside, Job.Failed, now.AddMinutes(-61));
        await Attempt(outside, Job.Failed, now.AddMinutes(-70));
        await Attempt(recovered, Job.Failed, now.AddMinutes(-20));
        await Attempt(recovered, Job.Succeeded, now.AddMinutes(-5), status: "running");  // newest of N = 1 succeeded

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);

        var row = read.Snapshot.Backoffs.Single(b => b.PresetId == within);
        Assert.Equal(2, row.NumFailed);
        Assert.Equal(now.AddMinutes(-10).ToUnixTimeMilliseconds(), row.LastBuildAt.ToUnixTimeMilliseconds());
        Assert.DoesNotContain(read.Snapshot.Backoffs, b => b.PresetId == outside);
        Assert.DoesNotContain(read.Snapshot.Backoffs, b => b.PresetId == recovered);
        foreach (var (preset, desired) in new[] { (within, 2), (outside, 2), (recovered, 1) })
        {
            var reference = PrebuildFailures.Backoff(preset, attempts[preset], desired, read.ReadAt, Options.BackoffLookback);
            var actual = read.Snapshot.Backoffs.SingleOrDefault(b => b.PresetId == preset);
            Assert.Equal(reference?.NumFailed, actual?.NumFailed);
        }
    }

    [Fact]
    public async Task Hard_limit_needs_the_newest_attempts_all_failed_after_the_last_reset()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var now = DateTimeOffset.UtcNow;
        var limited = await seed.PresetAsync(desired: 1, name: "limited");
        var mixed = await seed.PresetAsync(desired: 1, name: "mixed");
        var reset = await seed.PresetAsync(desired: 1, name: "reset");
        var few = await seed.PresetAsync(desired: 1, name: "few");
        foreach (var minutes in new[] { 30, 20, 10 })
        {
            await seed.InstanceAsync(limited, [Start(Job.Failed, now.AddMinutes(-minutes))], instanceStatus: "error");
            await seed.InstanceAsync(reset, [Start(Job.Failed, now.AddMinutes(-minutes))], instanceStatus: "error");
        }
        await seed.InstanceAsync(mixed, [Start(Job.Failed, now.AddMinutes(-40))], instanceStatus: "error");
        await seed.InstanceAsync(mixed, [Start(Job.Succeeded, now.AddMinutes(-30))]);
        await seed.InstanceAsync(mixed, [Start(Job.Failed, now.AddMinutes(-20))], instanceStatus: "error");
        await seed.InstanceAsync(mixed, [Start(Job.Failed, now.AddMinutes(-10))], instanceStatus: "error");
        await seed.InstanceAsync(few, [Start(Job.Failed, now.AddMinutes(-10))], instanceStatus: "error");
        await seed.ExecuteAsync("UPDATE presets SET failure_limit_reset_at = @at WHERE id = @reset", new { at = now.AddMinutes(-15), reset });

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        Assert.Contains(limited, read.Snapshot.HardLimitedPresetIds);
        Assert.DoesNotContain(mixed, read.Snapshot.HardLimitedPresetIds);
        Assert.DoesNotContain(reset, read.Snapshot.HardLimitedPresetIds);
        Assert.DoesNotContain(few, read.Snapshot.HardLimitedPresetIds);

        var off = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options with { FailureHardLimit = 0 });
        Assert.DoesNotContain(limited, off.Snapshot.HardLimitedPresetIds);
        var one = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options with { FailureHardLimit = 1 });
        Assert.Contains(few, one.Snapshot.HardLimitedPresetIds);
        Assert.Contains(mixed, one.Snapshot.HardLimitedPresetIds);
    }

    [Fact]
    public async Task Presets_carry_activity_flags_schedules_and_status()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var unconfigured = await seed.PresetAsync(desired: null, name: "none");
        var preset = await seed.PresetAsync(desired: 2);
        await seed.ExecuteAsync(
            """
            INSERT INTO preset_prebuild_schedules (id, preset_id, cron_expression, desired_instances) VALUES (gen_random_uuid(), @preset, '* 9-18 * * 1-5', 4);
            UPDATE presets SET scheduling_timezone = 'Europe/Paris', prebuild_status = 'hard_limited' WHERE id = @preset;
            UPDATE templates SET deprecated = 'use the new one' WHERE id = @template;
            """,
            new { preset, template = seed.TemplateId });

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        var row = read.Snapshot.Presets.Single(p => p.Id == preset);

        Assert.DoesNotContain(read.Snapshot.Presets, p => p.Id == unconfigured);
        Assert.True(row.UsingActiveVersion);
        Assert.True(row.TemplateDeprecated);
        Assert.False(row.IsActive);
        Assert.Equal(PrebuildStatus.HardLimited, row.Status);
        Assert.Equal("Europe/Paris", row.SchedulingTimeZone);
        Assert.Equal(seed.TemplateId, row.TemplateId);
        Assert.Equal("* 9-18 * * 1-5", read.Snapshot.Schedules.Single(s => s.PresetId == preset).CronExpression);
    }

    [Fact]
    public async Task The_one_preset_form_reads_for_its_preset_exactly_what_the_fleet_form_reads()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var oldPreset = await seed.PresetAsync(desired: 1, name: "old");
        var oldVersion = seed.ActiveVersionId;
        await seed.VersionAsync();
        var busy = await seed.PresetAsync(desired: 4, name: "busy");
        var quiet = await seed.PresetAsync(desired: 2, name: "quiet");
        var none = await seed.PresetAsync(desired: null, name: "no-prebuilds");
        await seed.ExecuteAsync(
            "UPDATE presets SET scheduling_timezone = 'UTC' WHERE id = @busy; INSERT INTO preset_prebuild_schedules (id, preset_id, cron_expression, desired_instances) VALUES (gen_random_uuid(), @busy, '* 9-17 * * 1-5', 6)",
            new { busy });
        var now = DateTimeOffset.UtcNow;
        var earlier = now.AddMinutes(-10);
        await seed.InstanceAsync(busy, [Start(Job.Succeeded, earlier)], ready: true);
        await seed.InstanceAsync(busy, [Start(Job.Succeeded, earlier)], ready: false);
        await seed.InstanceAsync(busy, [Start(Job.Running, earlier)], instanceStatus: "creating");
        await seed.InstanceAsync(busy, [Start(Job.Succeeded, earlier), new("delete", Job.Pending)]);
        // The two newest attempts failed: a backoff row, and the hard limit of 2 reached.
        await seed.InstanceAsync(busy, [Start(Job.Failed, now.AddMinutes(-2))], instanceStatus: "error");
        await seed.InstanceAsync(busy, [Start(Job.Failed, now.AddMinutes(-1))], instanceStatus: "error");
        await seed.InstanceAsync(quiet, [Start(Job.Succeeded)], ready: true);
        await seed.InstanceAsync(oldPreset, [new("start", Job.Pending, VersionId: oldVersion)], instanceStatus: "pending_create");
        await seed.InstanceAsync(oldPreset, [Start(Job.Succeeded)], ready: true);
        var options = Options with { FailureHardLimit = 2 };

        var fleet = await PrebuildSnapshotReader.ReadAsync(database.DataSource, options);
        foreach (var preset in new[] { busy, quiet, oldPreset })
        {
            var one = await PrebuildSnapshotReader.ReadAsync(database.DataSource, options, preset);

            Assert.Equal(Json(fleet.Snapshot.ForPreset(preset)), Json(one.Snapshot.ForPreset(preset)));
            Assert.Equal([preset], one.Snapshot.Presets.Select(p => p.Id));
            Assert.All(one.Snapshot.Running, r => Assert.Equal(preset, r.PresetId));
            Assert.All(one.Snapshot.InProgress, r => Assert.Equal(preset, r.PresetId));
            Assert.All(one.Snapshot.Pending, r => Assert.Equal(preset, r.PresetId));
            Assert.All(one.Snapshot.Backoffs, r => Assert.Equal(preset, r.PresetId));
            Assert.All(one.Snapshot.Schedules, r => Assert.Equal(preset, r.PresetId));
            Assert.All(one.Snapshot.HardLimitedPresetIds, id => Assert.Equal(preset, id));
        }
        // The rows the comparison must have seen, so it cannot pass on empty snapshots.
        var busyRead = (await PrebuildSnapshotReader.ReadAsync(database.DataSource, options, busy)).Snapshot;
        Assert.Equal((2, 2, 1, 1, 2, true), (busyRead.Running.Count, busyRead.InProgress.Sum(r => r.Count), busyRead.Schedules.Count, busyRead.Backoffs.Count, busyRead.Backoffs.Single().NumFailed, busyRead.HardLimitedPresetIds.Contains(busy)));
        Assert.Equal(1, (await PrebuildSnapshotReader.ReadAsync(database.DataSource, options, oldPreset)).Snapshot.Pending.Single().Count);
        Assert.Empty((await PrebuildSnapshotReader.ReadAsync(database.DataSource, options, none)).Snapshot.Presets);
    }

    private static string Json(PresetSnapshot snapshot) => System.Text.Json.JsonSerializer.Serialize(snapshot);
}
