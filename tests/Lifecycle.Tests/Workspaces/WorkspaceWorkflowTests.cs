using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// What every test class of the workspace phase shares: the time-skipping temporal-dev and PostgreSQL fixtures, and a
/// fresh <see cref="WorkspaceKit"/> per test whose worker runs for the test's body.
/// </summary>
[SupportedOSPlatform("linux")]
public abstract class WorkspaceWorkflowTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    /// <summary>Runs <paramref name="test"/> inside a new kit's worker; the kit terminates the workflows it tracked.</summary>
    private protected async Task RunAsync(Func<WorkspaceKit, Task> test)
    {
        await using var kit = await WorkspaceKit.CreateAsync(temporal, database.DataSource);
        await kit.Claims.Worker.ExecuteAsync(() => test(kit));
    }
}
