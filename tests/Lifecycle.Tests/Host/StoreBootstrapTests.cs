using Dapper;
using Lifecycle.Worker.Configuration;
using Lifecycle.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace Lifecycle.Tests.Host;

/// <summary>The host's store start-up on embedded defaults: the cluster it starts keeps its data across host restarts.</summary>
public sealed class StoreBootstrapTests : IDisposable
{
    private readonly string workingDirectory = Path.Combine(Path.GetTempPath(), $"lifecycle-host-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(workingDirectory))
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Embedded_store_survives_a_restart_of_the_host_with_its_data()
    {
        Directory.CreateDirectory(workingDirectory);
        var options = LifecycleOptions.Load(new ConfigurationBuilder().AddLifecycleEnvironment(new Dictionary<string, string?>()).Build(), workingDirectory);

        await using (var first = await StoreBootstrap.StartAsync(options, NullLogger.Instance, CancellationToken.None))
        {
            Assert.NotNull(first.Cluster);
            Assert.True(first.Cluster.StartedHere);
            Assert.StartsWith(Path.Combine(workingDirectory, ".lifecycle", "postgres"), first.Cluster.DataDirectory, StringComparison.Ordinal);
            await using var connection = new NpgsqlConnection(first.ConnectionString);
            await connection.ExecuteAsync("UPDATE global_settings SET reconciliation_paused = true");
        }

        await using (var second = await StoreBootstrap.StartAsync(options, NullLogger.Instance, CancellationToken.None))
        {
            await using var connection = new NpgsqlConnection(second.ConnectionString);
            var paused = await connection.ExecuteScalarAsync<bool>("SELECT reconciliation_paused FROM global_settings");

            Assert.True(paused);
        }
        Assert.False(File.Exists(Path.Combine(workingDirectory, ".lifecycle", "postgres", "data", "postmaster.pid")));
    }
}
