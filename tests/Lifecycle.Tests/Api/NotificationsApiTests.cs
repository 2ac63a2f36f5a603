using System.Net;
using Lifecycle.Testing.Postgres;
using Xunit;

namespace Lifecycle.Tests.Api;

/// <summary><c>GET /api/v1/notifications</c>: filters by user and kind, keyset paging, bad query values.</summary>
public sealed class NotificationsApiTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ApiTestHost api = null!;

    public async Task InitializeAsync() => api = await ApiTestHost.StartAsync(database.DataSource);

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task Notifications_filter_by_user_and_kind_and_page_newest_first_without_gaps_or_repeats()
    {
        var alice = (await api.PostAsync("/api/v1/users", new { username = "n-alice" })).Id;
        var bob = (await api.PostAsync("/api/v1/users", new { username = "n-bob" })).Id;
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        for (var i = 0; i < 5; i++)
            await InsertAsync($"a{i}", "workspace_dormant", alice, start.AddMinutes(i));
        await InsertAsync("a-other", "prebuild_hard_limited", alice, start.AddMinutes(6));
        await InsertAsync("b0", "workspace_dormant", bob, start.AddMinutes(7));

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await api.GetAsync($"/api/v1/notifications?user={alice}&kind=workspace_dormant&limit=2{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}");
            Assert.True(page.Status == HttpStatusCode.OK, page.ToString());
            seen.AddRange(page.Body.GetProperty("notifications").EnumerateArray().Select(n => n.GetProperty("labels").GetProperty("key").GetString()!));
            cursor = page.Body.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(["a4", "a3", "a2", "a1", "a0"], seen);
        var all = await api.GetAsync("/api/v1/notifications");
        Assert.Equal(7, all.Body.GetProperty("notifications").GetArrayLength());
        var kinds = await api.GetAsync("/api/v1/notifications?kind=prebuild_hard_limited");
        Assert.Equal("prebuild_hard_limited", Assert.Single(kinds.Body.GetProperty("notifications").EnumerateArray()).GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("user that is not an id", "user=alice", "user")]
    [InlineData("unknown user", "user=00000000-0000-0000-0000-000000000009", "user")]
    [InlineData("limit zero", "limit=0", "limit")]
    [InlineData("limit too large", "limit=501", "limit")]
    [InlineData("limit not a number", "limit=ten", "limit")]
    [InlineData("forged cursor", "cursor=bm9wZQ%3D%3D", "cursor")]
    public async Task A_bad_query_value_is_a_400_naming_it(string rule, string query, string field)
    {
        var answer = await api.GetAsync($"/api/v1/notifications?{query}");

        Assert.True(answer.Status == HttpStatusCode.BadRequest && answer.Field == field, $"{rule}: {answer}");
    }

    private Task InsertAsync(string key, string kind, Guid recipient, DateTimeOffset at) =>
        ApiRows.ExecuteAsync(
            database.DataSource,
            """
            INSERT INTO notifications (dedupe_key, template, recipient_id, labels, created_by, created_at)
            VALUES (@dedupe, @kind, @recipient, jsonb_build_object('key', @key::text), 'test', @at)
            """,
            new { dedupe = $"{key}-{Guid.NewGuid()}", kind, recipient, key, at });
}
