using System.Text.Json;
using Lifecycle.Workflows.Instances;
using Xunit;

namespace Lifecycle.UnitTests.Instances;

/// <summary>The instance state machine of instances.md §1, checked pair by pair against the spec's table.</summary>
public sealed class InstanceTransitionsTests
{
    // The table of instances.md §1, written out independently of the code under test.
    private static readonly Dictionary<string, string[]> SpecTable = new()
    {
        ["pending_create"] = ["creating", "pending_delete", "pending_force_delete"],
        ["creating"] = ["running", "error"],
        ["running"] = ["pending_delete", "pending_force_delete", "stopped", "unknown"],
        ["stopped"] = ["running", "pending_delete", "pending_force_delete", "unknown"],
        ["error"] = ["pending_delete", "pending_force_delete", "deleting", "unknown"],
        ["pending_delete"] = ["deleting", "pending_force_delete"],
        ["pending_force_delete"] = ["deleting"],
        ["deleting"] = ["deleted", "error"],
        ["deleted"] = [],
        ["unknown"] = ["pending_create", "creating", "running", "stopped", "error", "pending_delete", "pending_force_delete", "deleting", "deleted"],
    };

    public static TheoryData<string, string, bool> EveryPair()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var from in SpecTable.Keys)
        {
            foreach (var to in SpecTable.Keys)
                data.Add(from, to, from == to || SpecTable[from].Contains(to));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Every_pair_of_states_is_allowed_exactly_when_the_spec_table_says_so(string from, string to, bool allowed)
    {
        var verdict = InstanceTransitions.Check(Parse(from), Parse(to));

        Assert.Equal(allowed, verdict.IsAllowed);
        Assert.Equal(from == to, verdict.IsRepeat);
    }

    public static TheoryData<string, InstanceStatus, InstanceStatus, string> Refusals() => new()
    {
        { "deleted is final (spec scenario 12)", InstanceStatus.Deleted, InstanceStatus.Running, "instance status cannot change from deleted to running: deleted is final" },
        { "creating settles only as running or error", InstanceStatus.Creating, InstanceStatus.Stopped, "instance status cannot change from creating to stopped: from creating only running, error may follow" },
        { "force delete cannot be downgraded", InstanceStatus.PendingForceDelete, InstanceStatus.PendingDelete, "instance status cannot change from pending_force_delete to pending_delete: from pending_force_delete only deleting may follow" },
        { "a running machine is not created again", InstanceStatus.Running, InstanceStatus.PendingCreate, "instance status cannot change from running to pending_create: from running only pending_delete, pending_force_delete, stopped, unknown may follow" },
        { "error is not retried by jumping to creating", InstanceStatus.Error, InstanceStatus.Creating, "instance status cannot change from error to creating: from error only pending_delete, pending_force_delete, deleting, unknown may follow" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_refused_move_names_both_states_and_what_may_follow(string because, InstanceStatus from, InstanceStatus to, string reason)
    {
        var error = Assert.Throws<InstanceTransitionException>(() => InstanceTransitions.Ensure(from, to));

        Assert.True(error.Message == reason, because);
        Assert.Equal((from, to), (error.From, error.To));
    }

    public static TheoryData<string, InstanceStatus, InstanceStatus> Allowed() => new()
    {
        { "create starts", InstanceStatus.PendingCreate, InstanceStatus.Creating },
        { "create succeeded", InstanceStatus.Creating, InstanceStatus.Running },
        { "create failed", InstanceStatus.Creating, InstanceStatus.Error },
        { "delete escalates to force", InstanceStatus.PendingDelete, InstanceStatus.PendingForceDelete },
        { "failed delete goes back through error", InstanceStatus.Deleting, InstanceStatus.Error },
        { "error straight to deleting (cleanup)", InstanceStatus.Error, InstanceStatus.Deleting },
        { "unknown may become anything else", InstanceStatus.Unknown, InstanceStatus.Deleted },
        { "a replayed write of the same state changes nothing", InstanceStatus.Deleted, InstanceStatus.Deleted },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Allowed_moves_pass(string because, InstanceStatus from, InstanceStatus to)
    {
        var verdict = InstanceTransitions.Check(from, to);

        Assert.True(verdict.IsAllowed, because);
        Assert.Empty(verdict.Reason);
        InstanceTransitions.Ensure(from, to);
    }

    [Fact]
    public void Status_text_round_trips_through_json_and_numbers_are_refused()
    {
        foreach (var status in Enum.GetValues<InstanceStatus>())
        {
            var json = JsonSerializer.Serialize(status);
            Assert.Equal($"\"{status.ToText()}\"", json);
            Assert.Equal(status, JsonSerializer.Deserialize<InstanceStatus>(json));
            Assert.True(InstanceStatuses.TryParse(status.ToText(), out var parsed));
            Assert.Equal(status, parsed);
        }

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<InstanceStatus>("2"));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<InstanceStatus>("\"booting\""));
        Assert.False(InstanceStatuses.TryParse("Running", out _));
    }

    public static TheoryData<InstanceStatus, bool, bool, bool> Groups() => new()
    {
        // status, provider may report it, deletion lane, provisioning
        { InstanceStatus.PendingCreate, false, false, true },
        { InstanceStatus.Creating, false, false, true },
        { InstanceStatus.Running, true, false, false },
        { InstanceStatus.Stopped, true, false, false },
        { InstanceStatus.Error, true, false, false },
        { InstanceStatus.PendingDelete, false, true, false },
        { InstanceStatus.PendingForceDelete, false, true, false },
        { InstanceStatus.Deleting, false, true, false },
        { InstanceStatus.Deleted, false, true, false },
        { InstanceStatus.Unknown, true, false, false },
    };

    [Theory]
    [MemberData(nameof(Groups))]
    public void Each_status_belongs_to_the_groups_garm_names(InstanceStatus status, bool reportable, bool deletionLane, bool provisioning) =>
        Assert.Equal((reportable, deletionLane, provisioning), (status.IsProviderReportable(), status.IsDeletionLane(), status.IsProvisioning()));

    private static InstanceStatus Parse(string text) =>
        InstanceStatuses.TryParse(text, out var status) ? status : throw new ArgumentException($"not a status: {text}", nameof(text));
}
