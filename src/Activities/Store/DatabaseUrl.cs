using Npgsql;

namespace Lifecycle.Activities.Store;

/// <summary>
/// Reads a database setting written either as a URL (<c>postgres://user:password@host:5432/db?sslmode=require</c>,
/// the form most platforms hand out) or as an Npgsql connection string (<c>Host=…;Username=…</c>).
/// </summary>
public static class DatabaseUrl
{
    /// <summary>Returns an Npgsql connection string; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static string ToConnectionString(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new FormatException("is empty");
        }
        value = value.Trim();
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var parsed = new NpgsqlConnectionStringBuilder(value);
                if (string.IsNullOrEmpty(parsed.Host))
                {
                    throw new FormatException("has no Host (expected postgres://user:password@host:port/database or Host=…;Database=…)");
                }
                return parsed.ConnectionString;
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"is not a postgres:// URL or an Npgsql connection string ({e.Message})", e);
            }
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("is not a valid postgres:// URL");
        }
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : null,
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var setting = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            try
            {
                builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = setting;
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"has an unknown or invalid query option \"{key}\" ({e.Message})", e);
            }
        }
        return builder.ConnectionString;
    }
}
