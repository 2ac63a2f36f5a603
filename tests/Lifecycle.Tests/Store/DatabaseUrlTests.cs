using Lifecycle.Activities.Store;
using Npgsql;
using Xunit;

namespace Lifecycle.Tests.Store;

public sealed class DatabaseUrlTests
{
    [Theory]
    [InlineData("url with everything", "postgres://app:s%40cret@db.example.com:6432/lifecycle?sslmode=require", "db.example.com", 6432, "app", "s@cret", "lifecycle")]
    [InlineData("postgresql scheme, default port", "postgresql://app@db/lc", "db", 5432, "app", null, "lc")]
    [InlineData("npgsql connection string", "Host=10.0.0.5;Port=5433;Username=u;Password=p;Database=d", "10.0.0.5", 5433, "u", "p", "d")]
    public void Reads_urls_and_connection_strings(string form, string value, string host, int port, string user, string? password, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString(value));

        Assert.True(host == builder.Host, form);
        Assert.Equal(port, builder.Port);
        Assert.Equal(user, builder.Username);
        Assert.Equal(password, builder.Password);
        Assert.Equal(database, builder.Database);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("postgres://", "is not a valid postgres:// URL")]
    [InlineData("Database=d", "has no Host")]
    [InlineData("nonsense", "is not a postgres:// URL or an Npgsql connection string")]
    [InlineData("postgres://h/d?frobnicate=1", "has an unknown or invalid query option \"frobnicate\"")]
    public void Says_what_is_wrong(string value, string problem)
    {
        var error = Assert.Throws<FormatException>(() => DatabaseUrl.ToConnectionString(value));

        Assert.StartsWith(problem, error.Message, StringComparison.Ordinal);
    }
}
