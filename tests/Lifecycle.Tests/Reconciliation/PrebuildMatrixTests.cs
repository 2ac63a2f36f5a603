using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Prebuilds;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// Spec §4.5 scenario 73 (Coder's TestPrebuildReconciliation matrix) from the store to the decision: one prebuild in a
/// given build state, a preset wanting one, on an active or outdated version or a soft-deleted template; the snapshot
/// read from real PostgreSQL decides create, delete or nothing. Each case runs the read and decision three times (the
/// pass is idempotent until something acts).
/// </summary>
public sealed class PrebuildMatrixTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    // Without backoff, so a failed or canceled build shows what is decided about it rather than a wait.
    private static readonly PrebuildOptions NoBackoff = PrebuildOptions.Default with { BackoffInterval = TimeSpan.Zero };

    public static TheoryData<string, string, string[], string> Cases => new()
    {
        // name, template state, builds of the one instance (transition/job, oldest first), expected decision
        { "inactive version with nothing running: never creates", "outdated", [], "none" },
        { "running prebuild: no create", "active", ["start/succeeded"], "none" },
        { "start pending: no create", "active", ["start/pending"], "none" },
        { "start running: no create", "active", ["start/running"], "none" },
        { "latest stop succeeded: a new one is created", "active", ["start/succeeded", "stop/succeeded"], "create 1" },
        { "latest stop pending: a new one is created", "active", ["start/succeeded", "stop/pending"], "create 1" },
        { "latest stop running: a new one is created", "active", ["start/succeeded", "stop/running"], "create 1" },
        { "latest delete pending: a new one is created", "active", ["start/succeeded", "delete/pending"], "create 1" },
        { "latest delete running: a new one is created", "active", ["start/succeeded", "delete/running"], "create 1" },
        { "failed start: never deleted, replaced", "active", ["start/failed"], "create 1" },
        { "canceled start: never deleted, replaced", "active", ["start/canceled"], "create 1" },
        { "failed start on an outdated version: never deleted", "outdated", ["start/failed"], "none" },
        { "running prebuild on an outdated version: deleted", "outdated", ["start/succeeded"], "delete it" },
        { "stopped prebuild on an outdated version: not deleted", "outdated", ["start/succeeded", "stop/succeeded"], "none" },
        { "deleted prebuild on an outdated version: not deleted", "outdated", ["start/succeeded", "delete/succeeded"], "none" },
        { "soft-deleted template: its running prebuild is deleted and none created", "template_deleted", ["start/succeeded"], "delete it" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Scenario_73(string name, string template, string[] builds, string expected)
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1, name: "matrix");
        Guid? instance = null;
        if (builds.Length > 0)
        {
            var seeded = builds.Select(b => b.Split('/')).Select(b => new SeedBuild(b[0], Enum.Parse<Job>(b[1], ignoreCase: true))).ToList();
            var status = seeded[^1] switch
            {
                { Transition: "start", Job: Job.Succeeded } => "running",
                { Transition: "start", Job: Job.Failed or Job.Canceled } => "error",
                { Transition: "stop", Job: Job.Succeeded } => "stopped",
                { Transition: "delete", Job: Job.Succeeded } => "deleted",
                _ => "creating",
            };
            instance = await seed.InstanceAsync(preset, seeded, ready: status == "running", instanceStatus: status, deleted: status == "deleted");
        }
        if (template == "outdated")
            await seed.VersionAsync();
        else if (template == "template_deleted")
            await seed.ExecuteAsync("UPDATE templates SET deleted = true WHERE id = @TemplateId", new { seed.TemplateId });

        for (var round = 0; round < 3; round++)
        {
            var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, NoBackoff);
            var decision = PresetReconciliation.Decide(read.Snapshot.ForPreset(preset), read.ReadAt, NoBackoff);

            var creates = decision.Actions.Where(a => a.Kind == PrebuildActionKind.Create).Sum(a => a.Create);
            var deletes = decision.Actions.Where(a => a.Kind == PrebuildActionKind.Delete).SelectMany(a => a.DeleteIds).ToList();
            var actual = (creates, deletes) switch
            {
                (0, []) => "none",
                ( > 0, []) => $"create {creates}",
                (0, [var only]) when only == instance => "delete it",
                _ => $"create {creates}, delete [{string.Join(',', deletes)}]",
            };
            Assert.True(expected == actual, $"{name} (round {round + 1}): expected {expected}, decided {actual}");
        }
    }
}
