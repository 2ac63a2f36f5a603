using System.Data;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lifecycle.Activities.Store;

/// <summary>
/// Builds the one <see cref="NpgsqlDataSource"/> the process shares (a singleton in DI) and sets Dapper up for our
/// schema once: snake_case columns to PascalCase members, timestamptz as <see cref="DateTimeOffset"/> in UTC.
/// </summary>
public static class StoreDataSource
{
    private static int configured;

    /// <summary>Creates the data source for a connection string; the caller owns (and disposes) it.</summary>
    public static NpgsqlDataSource Create(string connectionString, ILoggerFactory? loggerFactory = null)
    {
        ConfigureDapper();
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "lifecycle";
        // Names the pool in Npgsql's metrics and logs (otherwise the connection string is the label).
        builder.Name = "lifecycle";
        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }
        return builder.Build();
    }

    /// <summary>Registers the Dapper conventions; idempotent and safe to call from several threads.</summary>
    public static void ConfigureDapper()
    {
        if (Interlocked.Exchange(ref configured, 1) == 1)
        {
            return;
        }
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        // Dapper consults its built-in type map before handlers; without removing the entry the handler never sees parameters.
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new UtcDateTimeOffsetHandler());
    }

    /// <summary>
    /// Npgsql reads timestamptz as a UTC <see cref="DateTime"/> and writes only offset-zero <see cref="DateTimeOffset"/>
    /// values; this converts both ways so rows and parameters can use <see cref="DateTimeOffset"/> in any offset.
    /// </summary>
    private sealed class UtcDateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value) => parameter.Value = value.ToUniversalTime();

        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTimeOffset offset => offset,
            DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
            _ => throw new DataException($"cannot read {value.GetType().Name} as a timestamp"),
        };
    }
}
