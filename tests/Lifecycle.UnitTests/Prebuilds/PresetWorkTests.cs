using System.Text.Json;
using Lifecycle.Workflows.Prebuilds;
using Xunit;
using static Lifecycle.UnitTests.Prebuilds.PrebuildFacts;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>Which presets cost a child workflow, the global snapshot's per-preset views, and payload shape.</summary>
public class PresetWorkTests
{
    [Theory]
    [InlineData("active preset at its count: idle", "at-count", false)]
    [InlineData("active preset short of its count: work", "short", true)]
    [InlineData("active preset backing off: idle (nothing to carry out)", "backoff", false)]
    [InlineData("inactive preset with nothing left: idle", "inactive-empty", false)]
    [InlineData("inactive preset with a pending initial build: work", "inactive-pending", true)]
    [InlineData("inactive preset with an expired prebuild: work", "inactive-expired", true)]
    [InlineData("hard limited and already marked, short of its count: idle", "limited", false)]
    [InlineData("hard limited, not yet marked: work (the mark)", "limited-unmarked", true)]
    [InlineData("paused with work: idle", "paused", false)]
    public void Has_work(string name, string shape, bool expected)
    {
        var snapshot = shape switch
        {
            "at-count" => Snapshot(Preset(1, desired: 1), [Running(11, 1, Now)]),
            "short" => Snapshot(Preset(1, desired: 2), [Running(11, 1, Now)]),
            "backoff" => Snapshot(Preset(1, desired: 2), backoff: Backoff(1, 1, Now)),
            "inactive-empty" => Snapshot(Preset(1, desired: 2, active: false)),
            "inactive-pending" => Snapshot(Preset(1, desired: 2, active: false), pending: 1),
            "inactive-expired" => Snapshot(Preset(1, desired: 2, active: false) with { InvalidateAfterSeconds = 1 }, [Running(11, 1, Now.AddHours(-1))]),
            "limited" => Snapshot(Preset(1, desired: 2) with { Status = PrebuildStatus.HardLimited }, hardLimited: true),
            "limited-unmarked" => Snapshot(Preset(1, desired: 2), hardLimited: true),
            "paused" => Snapshot(Preset(1, desired: 2), paused: true),
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "unknown shape"),
        };
        Assert.True(expected == PresetReconciliation.HasWork(snapshot, Now, PrebuildOptions.Default), name);
    }

    [Fact]
    public void Per_preset_views_equal_filtering_one_preset_at_a_time()
    {
        var snapshot = new GlobalSnapshot
        {
            Presets = [Preset(1, desired: 2), Preset(2, desired: 1, active: false), Preset(3, desired: 3)],
            Running = [Running(11, 1, Now), Running(21, 2, Now), Running(12, 1, Now.AddMinutes(-1)), Running(31, 3, Now)],
            InProgress = [InProgress(1, PrebuildTransition.Start, 1), InProgress(3, PrebuildTransition.Delete, 2), InProgress(3, PrebuildTransition.Start, 1)],
            Pending = [new PendingPrebuilds { PresetId = Id(2), Count = 4 }],
            Backoffs = [Backoff(3, 2, Now)],
            HardLimitedPresetIds = [Id(3)],
            Schedules = [Schedule(41, 1, "* 9 * * *", 2)],
        };

        var all = snapshot.PerPreset();
        Assert.Equal(3, all.Count);
        foreach (var view in all)
        {
            var one = snapshot.ForPreset(view.Preset.Id);
            Assert.Equal(one.Running, view.Running);
            Assert.Equal(one.InProgress, view.InProgress);
            Assert.Equal(one.Schedules, view.Schedules);
            Assert.Equal(one.PendingCount, view.PendingCount);
            Assert.Equal(one.Backoff, view.Backoff);
            Assert.Equal(one.IsHardLimited, view.IsHardLimited);
        }

        Assert.Equal([Id(11), Id(12)], all[0].Running.Select(r => r.Id));
        Assert.Equal(4, all[1].PendingCount);
        Assert.True(all[2].IsHardLimited);
        Assert.Equal(1, all[2].InProgress.Single(r => r.Transition == PrebuildTransition.Start).Count);

        var decisions = PresetReconciliation.DecideAll(snapshot, Now, PrebuildOptions.Default);
        Assert.Equal(
            ["none", "cancel-pending | delete inactivepreset [#21]", "mark-hard-limited | backoff until 2025-06-02T10:00:30.0000000Z"],
            decisions.Select(d => Render(d.Actions)));
    }

    [Fact]
    public void Filtering_an_unknown_preset_names_it()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => new GlobalSnapshot().ForPreset(Id(9)));
        Assert.StartsWith($"preset {Id(9)}: not in the prebuild snapshot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decisions_and_snapshots_round_trip_through_System_Text_Json_with_enums_as_text()
    {
        var snapshot = Snapshot(
            Preset(1, desired: 2) with { InvalidateAfterSeconds = 5, SchedulingTimeZone = "UTC", Status = PrebuildStatus.HardLimited },
            [Running(11, 1, Now.AddMinutes(-1)), Running(12, 1, Now)],
            [InProgress(1, PrebuildTransition.Stop, 1)],
            backoff: Backoff(1, 1, Now.AddHours(-2)));
        var decision = PresetReconciliation.Decide(snapshot, Now, PrebuildOptions.Default);

        var json = JsonSerializer.Serialize(decision);
        Assert.Contains("\"Kind\":\"Delete\"", json, StringComparison.Ordinal);
        Assert.Contains("\"DeleteReason\":\"Expired\"", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<PresetDecision>(json);
        Assert.NotNull(back);
        Assert.Equal(Render(decision.Actions), Render(back.Actions));
        Assert.Equal(decision.State, back.State);

        var snapshotJson = JsonSerializer.Serialize(snapshot);
        Assert.Contains("\"Transition\":\"Stop\"", snapshotJson, StringComparison.Ordinal);
        Assert.Contains("\"Status\":\"HardLimited\"", snapshotJson, StringComparison.Ordinal);
        var snapshotBack = JsonSerializer.Deserialize<PresetSnapshot>(snapshotJson);
        Assert.NotNull(snapshotBack);
        Assert.Equal(Render(decision.Actions), Render(PresetReconciliation.Decide(snapshotBack, Now, PrebuildOptions.Default).Actions));
    }

    [Theory]
    [InlineData("negative interval", -1, 3600, 3, "prebuilds backoff_interval: must not be negative")]
    [InlineData("zero lookback", 15, 0, 3, "prebuilds backoff_lookback: must be positive")]
    [InlineData("negative limit", 15, 3600, -1, "prebuilds failure_hard_limit: must be 0 (off) or positive")]
    public void Bad_options_are_named(string name, int intervalSeconds, int lookbackSeconds, int limit, string message)
    {
        var options = new PrebuildOptions
        {
            BackoffInterval = TimeSpan.FromSeconds(intervalSeconds),
            BackoffLookback = TimeSpan.FromSeconds(lookbackSeconds),
            FailureHardLimit = limit,
        };
        var e = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{name}: {e.Message}");
    }

    [Fact]
    public void Defaults_are_Coders()
    {
        var options = PrebuildOptions.Default.Validate();
        Assert.Equal(TimeSpan.FromSeconds(15), options.BackoffInterval);
        Assert.Equal(TimeSpan.FromHours(1), options.BackoffLookback);
        Assert.Equal(3, options.FailureHardLimit);
    }
}
