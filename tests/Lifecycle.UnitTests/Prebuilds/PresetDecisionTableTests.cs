using Lifecycle.Workflows.Prebuilds;
using Xunit;
using static Lifecycle.UnitTests.Prebuilds.PrebuildFacts;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>
/// The decision table: every scenario of spec §4.4 (Coder's preset_snapshot_test.go, backoff interval 5 s) and the
/// rules of §3.5 around it, each a named row: a snapshot and a clock in, the state and the ordered actions out.
/// </summary>
public class PresetDecisionTableTests
{
    private static readonly IReadOnlyDictionary<string, DecisionCase> Cases = Build();

    public static TheoryData<string> CaseNames()
    {
        var names = new TheoryData<string>();
        foreach (var name in Cases.Keys)
            names.Add(name);
        return names;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Decision(string name)
    {
        var c = Cases[name];
        var decision = PresetReconciliation.Decide(c.Snapshot, c.Now, c.Options);

        if (c.State is not null)
            Assert.Equal(c.State, Render(decision.State));
        Assert.Equal(c.Actions, Render(decision.Actions));
        Assert.Equal(c.Snapshot.Preset.Id, decision.PresetId);
    }

    [Fact]
    public void The_table_covers_every_scenario_of_spec_section_4_4()
    {
        var covered = Enumerable.Range(57, 15).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var scenario in covered)
            Assert.Contains(Cases.Keys, k => k.StartsWith(scenario + " ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("running + 2", DesiredSource.Expression, null)]
    [InlineData("invalid!!!", DesiredSource.ExpressionFallback, "target_expression: unknown variable \"invalid\" at 1")]
    [InlineData(null, DesiredSource.Default, null)]
    public void The_state_says_what_set_the_desired_count(string? expression, DesiredSource source, string? error)
    {
        var snapshot = Snapshot(Preset(1, desired: 5) with { SchedulingTimeZone = "UTC", TargetExpression = expression });

        var state = PresetReconciliation.Decide(snapshot, Now, CoderTestOptions).State;

        Assert.Equal(source, state.DesiredSource);
        Assert.Equal(error, state.ExpressionError);
    }

    private static Dictionary<string, DecisionCase> Build()
    {
        var cases = new Dictionary<string, DecisionCase>(StringComparer.Ordinal);
        void Add(string name, PresetSnapshot snapshot, string? state, string actions, DateTimeOffset? now = null, PrebuildOptions? options = null) =>
            cases.Add(name, new DecisionCase(snapshot, now ?? Now, options ?? CoderTestOptions, state, actions));

        // 57–61: presets with nothing, net new, outdated versions, pending builds.
        Add("57 no prebuilds configured: all zero, no actions", Snapshot(Preset(1, desired: 0)), State(), "none");
        Add("57 desired_instances unset counts as zero", Snapshot(Preset(1, desired: null)), State(), "none");
        Add("58 net new: active preset wanting 1 creates 1", Snapshot(Preset(1, desired: 1)), State(desired: 1), "create 1");
        var outdated = new GlobalSnapshot
        {
            Presets = [Preset(1, desired: 1, active: false), Preset(2, desired: 1)],
            Running = [Running(11, presetId: 1, Now.AddHours(-1))],
        };
        Add("59 outdated: the old version's prebuild is deleted", outdated.ForPreset(Id(1)), State(actual: 1), "delete inactivepreset [#11]");
        Add("59 outdated: the new version creates without waiting for the delete", outdated.ForPreset(Id(2)), State(desired: 1), "create 1");
        Add(
            "60 an outdated prebuild is deleted while another one is already deleting",
            Snapshot(Preset(1, desired: 1, active: false), [Running(11, 1, Now.AddHours(-1))], [InProgress(1, PrebuildTransition.Delete, 1)]),
            State(actual: 1, deleting: 1),
            "delete inactivepreset [#11]");
        Add("61 inactive preset with 2 pending initial builds: exactly one cancel", Snapshot(Preset(1, desired: 0, active: false), pending: 2), State(), "cancel-pending");
        Add("61 active preset with pending builds cancels nothing", Snapshot(Preset(1, desired: 0), pending: 2), State(), "none");

        // 62: in-progress accounting — (transition, desired, running, in progress) → action.
        foreach (var (transition, desired, running, inProgress, actions, state) in new (PrebuildTransition, int, int, int, string, string?)[]
        {
            (PrebuildTransition.Start, 1, 0, 1, "none", State(desired: 1, starting: 1)),
            (PrebuildTransition.Start, 2, 1, 1, "none", State(actual: 1, desired: 2, starting: 1)),
            (PrebuildTransition.Start, 2, 2, 1, "none", State(actual: 2, desired: 2, starting: 1)),
            (PrebuildTransition.Stop, 1, 0, 1, "create 1", State(desired: 1, stopping: 1)),
            (PrebuildTransition.Stop, 3, 2, 1, "create 1", State(actual: 2, desired: 3, stopping: 1)),
            (PrebuildTransition.Stop, 3, 3, 1, "none", State(actual: 3, desired: 3, stopping: 1)),
            (PrebuildTransition.Delete, 1, 0, 1, "create 1", State(desired: 1, deleting: 1)),
            (PrebuildTransition.Delete, 2, 1, 1, "create 1", State(actual: 1, desired: 2, deleting: 1)),
            (PrebuildTransition.Delete, 2, 2, 1, "none", State(actual: 2, desired: 2, deleting: 1)),
            (PrebuildTransition.Start, 3, 1, 2, "none", State(actual: 1, desired: 3, starting: 2)),
            (PrebuildTransition.Delete, 3, 5, 2, "delete extraneous [#11,#12]", State(actual: 5, desired: 3, extraneous: 2, deleting: 2)),
        })
        {
            var prebuilds = Enumerable.Range(1, running).Select(i => Running(10 + i, 1, Now.AddMinutes(-10 + i), ready: false));
            Add(
                $"62 in progress: {transition.ToString().ToLowerInvariant()} desired {desired} running {running} in progress {inProgress}",
                Snapshot(Preset(1, desired), prebuilds, [InProgress(1, transition, inProgress)]),
                state,
                actions);
        }

        // 63: extraneous prebuilds go oldest first.
        Add(
            "63 extraneous: the older of two ready prebuilds is deleted",
            Snapshot(Preset(1, desired: 1), [Running(12, 1, Now), Running(11, 1, Now.AddHours(-1))]),
            State(actual: 2, desired: 1, eligible: 2, extraneous: 1),
            "delete extraneous [#11]");

        // 64: expiry by TTL (5 s): running / desired / expired → actions.
        foreach (var (running, desired, expired, actions, state) in new (int, int, int, string, string)[]
        {
            (2, 2, 0, "none", State(actual: 2, desired: 2)),
            (2, 2, 1, "delete expired [#11] | create 1", State(actual: 2, expired: 1, desired: 2)),
            (2, 2, 2, "delete expired [#11,#12] | create 2", State(actual: 2, expired: 2, desired: 2)),
            (4, 2, 2, "delete expired [#11,#12]", State(actual: 4, expired: 2, desired: 2)),
            (4, 2, 1, "delete expired [#11] | delete extraneous [#12]", State(actual: 4, expired: 1, desired: 2, extraneous: 1)),
        })
        {
            var prebuilds = Enumerable.Range(1, running).Select(i => Running(
                10 + i,
                1,
                i <= expired ? Now.AddSeconds(-20 + i) : Now.AddSeconds(-4).AddMilliseconds(100 * i),
                ready: false));
            Add(
                $"64 expiry: running {running} desired {desired} expired {expired}",
                Snapshot(Preset(1, desired) with { InvalidateAfterSeconds = 5 }, prebuilds),
                state,
                actions);
        }

        // 65: manual invalidation expires every prebuild created before it.
        var invalidated = Preset(1, desired: 2) with { LastInvalidatedAt = Now.AddMinutes(-1) };
        Add(
            "65 invalidation: both prebuilds created before it are replaced",
            Snapshot(invalidated, [Running(11, 1, Now.AddMinutes(-3)), Running(12, 1, Now.AddMinutes(-2))]),
            State(actual: 2, expired: 2, desired: 2),
            "delete expired [#11,#12] | create 2");
        Add(
            "65 invalidation: a prebuild created after it is kept",
            Snapshot(invalidated, [Running(11, 1, Now.AddMinutes(-3)), Running(12, 1, Now.AddSeconds(-30))]),
            State(actual: 2, expired: 1, desired: 2, eligible: 1),
            "delete expired [#11] | create 1");

        // 66: deprecated and deleted templates drain.
        Add(
            "66 deprecated template: desired 0, its prebuild is deleted",
            Snapshot(Preset(1, desired: 1) with { TemplateDeprecated = true }, [Running(11, 1, Now.AddHours(-1))]),
            State(actual: 1),
            "delete inactivepreset [#11]");
        Add(
            "66 soft-deleted template: desired 0, its prebuild is deleted and none created",
            Snapshot(Preset(1, desired: 1) with { TemplateDeleted = true }, [Running(11, 1, Now.AddHours(-1))]),
            State(actual: 1),
            "delete inactivepreset [#11]");

        // 67: backoff after a failure, sibling unaffected.
        var failing = new GlobalSnapshot
        {
            Presets = [Preset(1, desired: 1), Preset(2, desired: 1)],
            Running = [Running(21, 2, Now.AddHours(-1))],
            Backoffs = [Backoff(1, numFailed: 1, lastBuildAt: Now)],
        };
        Add("67 backoff: one failure at T backs off until T + 5 s", failing.ForPreset(Id(1)), State(desired: 1), "backoff until 2025-06-02T10:00:05.0000000Z");
        Add("67 backoff: the healthy sibling preset is unaffected", failing.ForPreset(Id(2)), State(actual: 1, desired: 1, eligible: 1), "none");
        Add("67 backoff: 5 s + 1 µs later the preset creates again", failing.ForPreset(Id(1)), State(desired: 1), "create 1", now: Now.AddSeconds(5).AddTicks(10));

        // 68: in-progress counts are per preset.
        var siblings = new GlobalSnapshot
        {
            Presets = [Preset(1, desired: 1), Preset(2, desired: 1) with { TemplateVersionId = Id(101) }],
            InProgress = [InProgress(1, PrebuildTransition.Start, 1)],
        };
        Add("68 presets of one version: the one already starting waits", siblings.ForPreset(Id(1)), State(desired: 1, starting: 1), "none");
        Add("68 presets of one version: the other is not blocked", siblings.ForPreset(Id(2)), State(desired: 1), "create 1");

        // 69 and 70 (time-of-day targets) are in PrebuildScheduleTests; here a schedule drives a create.
        Add(
            "69 scheduling: a matching schedule's count drives the create",
            Snapshot(Preset(1, desired: 1) with { SchedulingTimeZone = "UTC" }, schedules: [Schedule(31, 1, "* 9-11 * * 1-5", 3)]),
            State(desired: 3),
            "create 3");
        Add(
            "70 scheduling: outside every range the base count applies",
            Snapshot(Preset(1, desired: 1) with { SchedulingTimeZone = "UTC" }, schedules: [Schedule(31, 1, "* 9-11 * * 1-5", 3)]),
            State(desired: 1),
            "create 1",
            now: At("2025-06-02T12:00:00Z"));

        // 71 / B16: the target expression replaces the scheduled target in the decision; errors fall back to it.
        var expression = Preset(1, desired: 5) with { SchedulingTimeZone = "UTC", TargetExpression = "running + 2" };
        Add(
            "71 expression: running + 2 with 1 running wants 3 and creates 2",
            Snapshot(expression, [Running(11, 1, Now.AddMinutes(-5))]),
            State(actual: 1, desired: 3, eligible: 1),
            "create 2");
        Add(
            "71 expression: invalid!!! falls back to the base 3",
            Snapshot(expression with { DesiredInstances = 3, TargetExpression = "invalid!!!" }, [Running(11, 1, Now.AddMinutes(-5))]),
            State(actual: 1, desired: 3, eligible: 1),
            "create 2");
        Add(
            "71 expression: running - 100 clamps to 0 and deletes the extraneous prebuild",
            Snapshot(expression with { TargetExpression = "running - 100" }, [Running(11, 1, Now.AddMinutes(-5))]),
            State(actual: 1, eligible: 1, extraneous: 1),
            "delete extraneous [#11]");
        Add(
            "71 expression: scheduled_target + 200 clamps to 100",
            Snapshot(expression with { TargetExpression = "scheduled_target + 200" }),
            State(desired: 100),
            "create 100");
        Add(
            "71 expression: claims_5m + misses_5m with 10 and 3 wants 13",
            Snapshot(expression with { TargetExpression = "claims_5m + misses_5m" }, claims: new PresetClaimWindows { PresetId = Id(1), Claims5m = 10, Misses5m = 3 }),
            State(desired: 13),
            "create 13");
        Add(
            "B16 expression reads starting, so it can ask for what is already on its way",
            Snapshot(expression with { TargetExpression = "starting + 1" }, inProgress: [InProgress(1, PrebuildTransition.Start, 2)]),
            State(desired: 3, starting: 2),
            "create 1");
        Add(
            "B16 expression without a zone falls back to the scheduled target",
            Snapshot(expression with { SchedulingTimeZone = "" }),
            State(desired: 5),
            "create 5");
        Add(
            "B16/B17 inactive preset with an expression wants 0 and drains",
            Snapshot(expression with { UsingActiveVersion = false, TargetExpression = "50" }, [Running(11, 1, Now.AddMinutes(-5))]),
            State(actual: 1),
            "delete inactivepreset [#11]");
        Add(
            "B16 expression under backoff: backoff still wins",
            Snapshot(expression, backoff: Backoff(1, 1, Now)),
            State(desired: 2),
            "backoff until 2025-06-02T10:00:05.0000000Z");

        // B19: inactive presets, decided open question — every running prebuild goes, expired ones too, oldest first.
        Add(
            "B19 inactive preset: expired and fresh prebuilds all deleted oldest first, after the cancel",
            Snapshot(Preset(1, desired: 2, active: false) with { InvalidateAfterSeconds = 60 }, [Running(12, 1, Now.AddSeconds(-10)), Running(11, 1, Now.AddHours(-2))], pending: 1),
            State(actual: 2, expired: 1),
            "cancel-pending | delete inactivepreset [#11,#12]");
        Add(
            "B19 inactive preset never creates, even far below its count",
            Snapshot(Preset(1, desired: 5, active: false)),
            State(),
            "none");

        // B20: creates never go below zero and never above desired.
        Add(
            "B20 create counts starting prebuilds and never goes negative",
            Snapshot(Preset(1, desired: 2), [Running(11, 1, Now.AddMinutes(-1))], [InProgress(1, PrebuildTransition.Start, 3)]),
            State(actual: 1, desired: 2, eligible: 1, starting: 3),
            "none");
        Add("B20 a negative stored count means none", Snapshot(Preset(1, desired: -3)), State(), "none");

        // B18: backoff overrides deletes and cancels too.
        Add(
            "B18 backoff overrides deletes of expired prebuilds",
            Snapshot(Preset(1, desired: 1) with { InvalidateAfterSeconds = 5 }, [Running(11, 1, Now.AddMinutes(-1))], backoff: Backoff(1, 2, Now.AddSeconds(-1))),
            State(actual: 1, expired: 1, desired: 1),
            "backoff until 2025-06-02T10:00:09.0000000Z");
        Add(
            "B18 backoff overrides an inactive preset's cancel and deletes (as Coder; such rows only exist for active versions)",
            Snapshot(Preset(1, desired: 1, active: false), [Running(11, 1, Now.AddHours(-1))], pending: 1, backoff: Backoff(1, 1, Now)),
            State(actual: 1),
            "backoff until 2025-06-02T10:00:05.0000000Z");
        Add(
            "B18 a backoff row with no failures is ignored",
            Snapshot(Preset(1, desired: 1), backoff: Backoff(1, 0, Now)),
            State(desired: 1),
            "create 1");
        Add(
            "74 linear backoff: 2 failures with a 1 min interval wait 2 min",
            Snapshot(Preset(1, desired: 2), backoff: Backoff(1, 2, Now)),
            State(desired: 2),
            "backoff until 2025-06-02T10:02:00.0000000Z",
            options: new PrebuildOptions { BackoffInterval = TimeSpan.FromMinutes(1) });
        Add(
            "74 linear backoff: 3 failures, one running, wait 3 min and create nothing",
            Snapshot(Preset(1, desired: 2), [Running(11, 1, Now)], backoff: Backoff(1, 3, Now)),
            State(actual: 1, desired: 2, eligible: 1),
            "backoff until 2025-06-02T10:03:00.0000000Z",
            options: new PrebuildOptions { BackoffInterval = TimeSpan.FromMinutes(1) });

        // B22: the hard failure limit.
        var noBackoff = new PrebuildOptions { BackoffInterval = TimeSpan.Zero, FailureHardLimit = 1 };
        Add(
            "76 hard limit reached first time: mark once and create nothing",
            Snapshot(Preset(1, desired: 1), hardLimited: true),
            State(desired: 1),
            "mark-hard-limited",
            options: noBackoff);
        Add(
            "76 hard limit already marked: no second mark, still no create",
            Snapshot(Preset(1, desired: 1) with { Status = PrebuildStatus.HardLimited }, hardLimited: true),
            State(desired: 1),
            "none",
            options: noBackoff);
        Add(
            "76 marked preset stays stopped until reset, even when the window no longer shows the limit",
            Snapshot(Preset(1, desired: 1) with { Status = PrebuildStatus.HardLimited }),
            State(desired: 1),
            "none",
            options: noBackoff);
        Add(
            "76 not at the limit: creates go on",
            Snapshot(Preset(1, desired: 2), [Running(11, 1, Now)]),
            State(actual: 1, desired: 2, eligible: 1),
            "create 1",
            options: noBackoff with { FailureHardLimit = 2 });
        Add(
            "77 hard limit does not block deletes of extraneous prebuilds",
            Snapshot(Preset(1, desired: 1) with { Status = PrebuildStatus.HardLimited }, [Running(11, 1, Now.AddHours(-2)), Running(12, 1, Now)], hardLimited: true),
            State(actual: 2, desired: 1, eligible: 2, extraneous: 1),
            "delete extraneous [#11]",
            options: noBackoff);
        Add(
            "77 hard-limited preset of an outdated version: its prebuild is deleted, no mark",
            Snapshot(Preset(1, desired: 2, active: false) with { Status = PrebuildStatus.HardLimited }, [Running(11, 1, Now.AddHours(-2))], hardLimited: true),
            State(actual: 1),
            "delete inactivepreset [#11]",
            options: noBackoff);
        Add(
            "77 hard limit does not block replacing expired prebuilds' deletes, only their creates",
            Snapshot(Preset(1, desired: 1) with { InvalidateAfterSeconds = 5 }, [Running(11, 1, Now.AddMinutes(-1))], hardLimited: true),
            State(actual: 1, expired: 1, desired: 1),
            "mark-hard-limited | delete expired [#11]",
            options: noBackoff);
        Add(
            "B22 the mark is made even while backing off; backoff still wins over creates",
            Snapshot(Preset(1, desired: 1), backoff: Backoff(1, 3, Now), hardLimited: true),
            State(desired: 1),
            "mark-hard-limited | backoff until 2025-06-02T10:00:45.0000000Z",
            options: new PrebuildOptions());
        Add(
            "B22 limit 0 is off: no mark and creates go on",
            Snapshot(Preset(1, desired: 1) with { Status = PrebuildStatus.HardLimited }, hardLimited: true),
            State(desired: 1),
            "create 1",
            options: noBackoff with { FailureHardLimit = 0 });

        // B3 / 84: pause.
        Add(
            "84 paused: a preset with work gets no actions, its state is still reported",
            Snapshot(Preset(1, desired: 2), [Running(11, 1, Now)], pending: 0, paused: true),
            State(actual: 1, desired: 2, eligible: 1),
            "none");
        Add(
            "84 paused: no hard-limit mark either",
            Snapshot(Preset(1, desired: 1), hardLimited: true, paused: true),
            State(desired: 1),
            "none");
        Add(
            "84 paused: an inactive preset is not drained",
            Snapshot(Preset(1, desired: 1, active: false), [Running(11, 1, Now)], pending: 3, paused: true),
            State(actual: 1),
            "none");

        return cases;
    }

    /// <summary>One row of the table.</summary>
    public sealed record DecisionCase(PresetSnapshot Snapshot, DateTimeOffset Now, PrebuildOptions Options, string? State, string Actions);
}
