using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lifecycle.Activities.Store.Embedded;

/// <summary>How to run a private PostgreSQL cluster.</summary>
public sealed record PostgresClusterOptions
{
    /// <summary>The cluster's folder: <c>data/</c> (PGDATA), <c>runtime/</c> (socket, server log), the password and the port.</summary>
    required public string Directory { get; init; }

    /// <summary>False for throw-away test clusters: no fsync, so a crash may lose data but everything is faster.</summary>
    public bool Durable { get; init; } = true;
}

/// <summary>
/// A private PostgreSQL cluster made with the machine's binaries (initdb + pg_ctl), listening on 127.0.0.1 on a free
/// port with a generated password. Reuses a cluster already running in the same folder and stops only one it
/// started. PostgreSQL refuses to run as root, so under uid 0 the server runs as the <c>postgres</c> system user.
/// </summary>
public sealed partial class PostgresCluster : IAsyncDisposable
{
    /// <summary>The superuser the cluster is initialised with.</summary>
    public const string SuperUser = "lifecycle";

    private const string ServerUser = "postgres";

    private readonly PostgresBinaries binaries;
    private readonly string? runAsUser;
    private readonly ILogger logger;
    private readonly string password;

    private PostgresCluster(PostgresBinaries binaries, string? runAsUser, PostgresClusterOptions options, string password, ILogger logger)
    {
        this.binaries = binaries;
        this.runAsUser = runAsUser;
        this.password = password;
        this.logger = logger;
        Options = options;
    }

    public PostgresClusterOptions Options { get; }

    /// <summary>PGDATA.</summary>
    public string DataDirectory => Path.Combine(Options.Directory, "data");

    /// <summary>Where the server writes its socket and its log (owned by the server's user).</summary>
    public string RuntimeDirectory => Path.Combine(Options.Directory, "runtime");

    public string LogFile => Path.Combine(RuntimeDirectory, "postgres.log");

    public int Port { get; private set; }

    /// <summary>True when this object started the server (and so stops it); false when it was already running.</summary>
    public bool StartedHere { get; private set; }

    /// <summary>Creates the cluster if needed and makes sure it runs; returns once it accepts connections.</summary>
    public static async Task<PostgresCluster> StartAsync(PostgresClusterOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        options = options with { Directory = Path.GetFullPath(options.Directory) };
        var binaries = await PostgresBinaries.LocateAsync(cancellationToken);
        var runAsUser = await ServerUserAsync(cancellationToken);
        Directory.CreateDirectory(options.Directory);
        await using var exclusive = await FolderLock.AcquireAsync(Path.Combine(options.Directory, ".lock"), options.Directory, cancellationToken);
        var password = ReadOrCreatePassword(options.Directory);
#pragma warning disable CA2000 // Ownership passes to the caller on success; on failure the catch below disposes it.
        var cluster = new PostgresCluster(binaries, runAsUser, options, password, logger);
#pragma warning restore CA2000
        try
        {
            await cluster.PrepareFoldersAsync(cancellationToken);
            if (!File.Exists(Path.Combine(cluster.DataDirectory, "PG_VERSION")))
            {
                await cluster.InitAsync(cancellationToken);
            }
            await cluster.StartOrReuseAsync(cancellationToken);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>A connection string for one database of this cluster, as the superuser.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Password = password,
        Database = database,
    }.ConnectionString;

    /// <summary>Creates the database if it does not exist.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        if (!DatabaseName().IsMatch(database))
        {
            throw new ArgumentException($"database name \"{database}\" must be lowercase letters, digits and underscores", nameof(database));
        }
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            try
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another process created it between our check and our create: that is what we wanted.
            }
        }
    }

    /// <summary>Stops the server (fast shutdown: open transactions roll back, data stays).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        NpgsqlConnection.ClearAllPools();
        var result = await PgCtlAsync(["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], cancellationToken);
        if (result.ExitCode != 0 && !result.StandardError.Contains("Is server running?", StringComparison.Ordinal))
        {
            logger.LogWarning("embedded PostgreSQL: pg_ctl stop failed in {DataDirectory}: {Error}", DataDirectory, result.LastLine);
        }
        else
        {
            logger.LogInformation("embedded PostgreSQL stopped ({DataDirectory})", DataDirectory);
        }
        StartedHere = false;
    }

    /// <summary>Stops the server if this object started it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (StartedHere)
        {
            await StopAsync();
        }
    }

    private static async Task<string?> ServerUserAsync(CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return null;
        }
        var id = await OsCommand.RunAsync("id", ["-u", ServerUser], cancellationToken: cancellationToken);
        if (id.ExitCode != 0)
        {
            throw new StoreStartupException(
                $"embedded PostgreSQL: this process runs as root, which PostgreSQL refuses, and there is no `{ServerUser}` system user to run it as; {PostgresBinaries.InstallHint}");
        }
        return ServerUser;
    }

    private static string ReadOrCreatePassword(string directory)
    {
        var file = Path.Combine(directory, "password");
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }
        if (File.Exists(Path.Combine(directory, "data", "PG_VERSION")))
        {
            throw new StoreStartupException(
                $"embedded PostgreSQL: {file} is missing but the cluster in {directory}/data exists; delete {directory} to start over");
        }
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(file, password);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return password;
    }

    private async Task PrepareFoldersAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(RuntimeDirectory);
        if (runAsUser is null)
        {
            return;
        }
        await ChownAsync(DataDirectory, recursive: true, cancellationToken);
        await ChownAsync(RuntimeDirectory, recursive: true, cancellationToken);
        GrantTraverse(Options.Directory);
    }

    /// <summary>The server's user must be able to walk down to its data folder; add o+x where a parent lacks it.</summary>
    private void GrantTraverse(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            var mode = File.GetUnixFileMode(dir.FullName);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                File.SetUnixFileMode(dir.FullName, mode | UnixFileMode.OtherExecute);
                logger.LogWarning("embedded PostgreSQL: granted traverse (o+x) on {Directory} so the {User} user can reach its data", dir.FullName, runAsUser);
            }
        }
    }

    private async Task ChownAsync(string path, bool recursive, CancellationToken cancellationToken)
    {
        var arguments = recursive ? new[] { "-R", $"{runAsUser}:{runAsUser}", path } : [$"{runAsUser}:{runAsUser}", path];
        var result = await OsCommand.RunAsync("chown", arguments, cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new StoreStartupException($"embedded PostgreSQL: cannot give {path} to the {runAsUser} user: {result.LastLine}");
        }
    }

    private async Task InitAsync(CancellationToken cancellationToken)
    {
        // A half-made data folder (initdb interrupted) cannot be reused; initdb needs it empty.
        foreach (var entry in Directory.EnumerateFileSystemEntries(DataDirectory))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }
        var passwordFile = Path.Combine(RuntimeDirectory, "initdb-password");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        try
        {
            if (runAsUser is not null)
            {
                await ChownAsync(passwordFile, recursive: false, cancellationToken);
            }
            List<string> arguments =
            [
                "-D", DataDirectory, "-U", SuperUser, $"--pwfile={passwordFile}", "--auth=scram-sha-256",
                "--encoding=UTF8", "--no-locale", "--no-instructions",
            ];
            if (!Options.Durable)
            {
                arguments.Add("--no-sync");
            }
            logger.LogInformation("embedded PostgreSQL: creating a cluster in {DataDirectory}", DataDirectory);
            var result = await OsCommand.RunAsync(binaries.InitDb, arguments, runAsUser, cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new StoreStartupException($"embedded PostgreSQL: initdb failed in {DataDirectory}: {result.LastLine}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private async Task StartOrReuseAsync(CancellationToken cancellationToken)
    {
        var status = await PgCtlAsync(["status", "-D", DataDirectory], cancellationToken);
        if (status.ExitCode == 0 && RunningPort() is { } runningPort)
        {
            Port = runningPort;
            StartedHere = false;
            logger.LogInformation("embedded PostgreSQL: reusing the server already running on 127.0.0.1:{Port} ({DataDirectory})", Port, DataDirectory);
            return;
        }

        var portFile = Path.Combine(Options.Directory, "port");
        int? preferred = File.Exists(portFile)
            && int.TryParse((await File.ReadAllTextAsync(portFile, cancellationToken)).Trim(), CultureInfo.InvariantCulture, out var saved)
            ? saved : null;
        for (var attempt = 1; ; attempt++)
        {
            // Keep the previous port when it is free, so an operator's psql line keeps working across restarts.
            var port = preferred is { } p && IsFree(p) ? p : FreePort();
            preferred = null;
            var settings = $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{RuntimeDirectory}'";
            if (!Options.Durable)
            {
                settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            }
            var start = await PgCtlAsync(["start", "-D", DataDirectory, "-w", "-t", "60", "-l", LogFile, "-o", settings], cancellationToken);
            if (start.ExitCode == 0)
            {
                Port = port;
                StartedHere = true;
                await File.WriteAllTextAsync(portFile, port.ToString(CultureInfo.InvariantCulture), cancellationToken);
                logger.LogInformation("embedded PostgreSQL: started on 127.0.0.1:{Port} ({DataDirectory})", Port, DataDirectory);
                return;
            }
            var reason = LastLogLine() ?? start.LastLine;
            if (attempt < 3 && reason.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            throw new StoreStartupException($"embedded PostgreSQL: pg_ctl start failed in {DataDirectory}: {reason} (server log: {LogFile})");
        }
    }

    private Task<OsCommandResult> PgCtlAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        OsCommand.RunAsync(binaries.PgCtl, arguments, runAsUser, cancellationToken);

    /// <summary>The port in postmaster.pid (line 4), when the server is running.</summary>
    private int? RunningPort()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }
        var lines = File.ReadAllLines(pidFile);
        return lines.Length >= 4 && int.TryParse(lines[3].Trim(), CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    private string? LastLogLine()
    {
        if (!File.Exists(LogFile))
        {
            return null;
        }
        return File.ReadAllLines(LogFile).LastOrDefault(line => line.Contains("FATAL", StringComparison.Ordinal) || line.Contains("ERROR", StringComparison.Ordinal))
            ?? File.ReadAllLines(LogFile).LastOrDefault(line => !string.IsNullOrWhiteSpace(line));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
