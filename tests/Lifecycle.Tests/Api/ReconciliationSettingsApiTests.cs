using System.Net;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Tests.Reconciliation;
using Lifecycle.Workflows.Prebuilds;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary><c>PUT /api/v1/settings/reconciliation</c> (its own database: the setting is global).</summary>
public sealed class ReconciliationSettingsApiTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task Pausing_through_the_api_makes_a_reconcile_pass_decide_nothing_and_resuming_brings_the_creates_back()
    {
        var org = await api.OrganizationAsync();
        var template = await api.TemplateAsync(org);
        var (_, preset) = await api.VersionAsync(template, desired: 3);
        Assert.Contains(Decide(await PrebuildSnapshotReader.ReadAsync(database.DataSource, PrebuildOptions.Default), preset), a => a.Kind == PrebuildActionKind.Create && a.Create == 3);

        var paused = await api.PutAsync("/api/v1/settings/reconciliation", new { paused = true });

        Assert.True(paused.Status == HttpStatusCode.OK, paused.ToString());
        Assert.True(paused.Body.GetProperty("paused").GetBoolean());
        Assert.True(await ApiRows.ScalarAsync<bool>(database.DataSource, "SELECT reconciliation_paused FROM global_settings"));
        Assert.True((await api.GetAsync("/api/v1/settings/reconciliation")).Body.GetProperty("paused").GetBoolean());
        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, PrebuildOptions.Default);
        Assert.True(read.Snapshot.ReconciliationPaused);
        Assert.All(PresetReconciliation.DecideAll(read.Snapshot, read.ReadAt, PrebuildOptions.Default), d => Assert.Empty(d.Actions));
        Assert.True((await api.GetAsync($"/api/v1/presets/{preset}")).Body.GetProperty("reconciliation_paused").GetBoolean());

        await api.PutAsync("/api/v1/settings/reconciliation", new { paused = false });
        Assert.Contains(Decide(await PrebuildSnapshotReader.ReadAsync(database.DataSource, PrebuildOptions.Default), preset), a => a.Kind == PrebuildActionKind.Create);
        Assert.Equal(2L, await ApiRows.ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM audit_log WHERE resource_type = 'settings'"));
    }

    [Theory]
    [InlineData("missing", "{}", "paused")]
    [InlineData("not a boolean", """{"paused": "yes"}""", "paused")]
    [InlineData("unknown field", """{"pause": true}""", "pause")]
    public async Task A_bad_setting_is_a_400_and_changes_nothing(string rule, string json, string field)
    {
        var before = await ApiRows.FingerprintAsync(database.DataSource);

        var answer = await api.SendRawAsync(HttpMethod.Put, "/api/v1/settings/reconciliation", json);

        Assert.True(answer.Status == HttpStatusCode.BadRequest && answer.Field == field, $"{rule}: {answer}");
        Assert.Equal(before, await ApiRows.FingerprintAsync(database.DataSource));
    }

    private static IReadOnlyList<PrebuildAction> Decide(PrebuildSnapshotRead read, Guid preset) =>
        PresetReconciliation.Decide(read.Snapshot.ForPreset(preset), read.ReadAt, PrebuildOptions.Default).Actions;
}
