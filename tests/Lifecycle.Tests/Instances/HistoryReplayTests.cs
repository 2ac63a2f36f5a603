using System.Reflection;
using System.Text.Json;
using Lifecycle.Workflows.Instances;
using Temporalio.Common;
using Temporalio.Worker;
using Temporalio.Workflows;
using Xunit;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// Replays every checked-in history in <c>tests/Histories/</c> against today's workflow code: a change that would
/// break a running workflow (a non-deterministic edit) fails here before it ships.
/// </summary>
public sealed class HistoryReplayTests
{
    /// <summary>Every workflow type the worker registers (all <c>[Workflow]</c> classes of Lifecycle.Workflows).</summary>
    private static readonly Dictionary<string, Type> Workflows = typeof(InstanceWorkflow).Assembly.GetTypes()
        .Select(t => (Type: t, Attribute: t.GetCustomAttribute<WorkflowAttribute>()))
        .Where(w => w.Attribute is not null)
        .ToDictionary(w => w.Attribute!.Name ?? w.Type.Name, w => w.Type, StringComparer.Ordinal);

    public static TheoryData<string> HistoryFileNames()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(HistoryFiles.Directory, "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void The_instance_workflow_has_a_checked_in_history()
    {
        Assert.NotEmpty(Directory.EnumerateFiles(HistoryFiles.Directory, "instance-*.json"));
    }

    [Fact]
    public void The_workspace_phase_has_a_checked_in_history()
    {
        // A claim, its start build under the new owner and the autostop at the deadline, all in one run.
        var json = File.ReadAllText(Path.Combine(HistoryFiles.Directory, "instance-workspace-claim-autostop.json"));
        Assert.Contains("\"markerName\": \"core_patch\"", json, StringComparison.Ordinal);
        Assert.Contains("\"activityType\": { \"name\": \"MachinePower\" }", json, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HistoryFileNames))]
    public async Task A_checked_in_history_replays_without_non_determinism(string fileName)
    {
        var json = await File.ReadAllTextAsync(Path.Combine(HistoryFiles.Directory, fileName));
        var type = WorkflowType(json);
        Assert.True(Workflows.TryGetValue(type, out var workflow), $"{fileName}: workflow type \"{type}\" is not registered (known: {string.Join(", ", Workflows.Keys)})");

        var result = await ReplayAsync(workflow, $"replay-{fileName}", json);

        Assert.True(result.ReplayFailure is null, $"{fileName}: {result.ReplayFailure}");
    }

    [Fact]
    public async Task A_history_the_code_no_longer_matches_fails_replay()
    {
        // The first provider call the recorded run scheduled was a create; pretend it had been a delete.
        var json = await File.ReadAllTextAsync(Path.Combine(HistoryFiles.Directory, "instance-create-retry-ready-delete.json"));
        const string Recorded = "\"activityType\": { \"name\": \"MachineCreate\" }";
        var at = json.IndexOf(Recorded, StringComparison.Ordinal);
        Assert.True(at >= 0, "the recorded history has no MachineCreate activity");
        var altered = string.Concat(json.AsSpan(0, at), "\"activityType\": { \"name\": \"MachineDelete\" }", json.AsSpan(at + Recorded.Length));

        var result = await ReplayInstanceAsync(altered);

        Assert.NotNull(result.ReplayFailure);
    }

    private static Task<WorkflowReplayResult> ReplayInstanceAsync(string historyJson) =>
        ReplayAsync(typeof(InstanceWorkflow), "replay-altered", historyJson);

    /// <summary>
    /// Replays with the SDK's deadlock detection off (DebugMode): it fails an activation that takes 2 s, which a
    /// CPU-starved shared machine (load 30 on 2 cores) reached in a replay that is quick otherwise. Replay checks
    /// determinism, not speed; a workflow that really loops still fails, on the time limit here.
    /// </summary>
    private static Task<WorkflowReplayResult> ReplayAsync(Type workflow, string workflowId, string historyJson)
    {
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions { DebugMode = true }.AddWorkflow(workflow));
        return replayer.ReplayWorkflowAsync(WorkflowHistory.FromJson(workflowId, historyJson), throwOnReplayFailure: false)
            .WaitAsync(TimeSpan.FromMinutes(2));
    }

    private static string WorkflowType(string historyJson)
    {
        using var doc = JsonDocument.Parse(historyJson);
        var first = doc.RootElement.GetProperty("events")[0];
        return first.GetProperty("workflowExecutionStartedEventAttributes").GetProperty("workflowType").GetProperty("name").GetString() ?? string.Empty;
    }
}
