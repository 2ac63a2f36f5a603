namespace Lifecycle.Activities.Store.Embedded;

/// <summary>Where the machine's PostgreSQL server programs (initdb, pg_ctl, postgres) are.</summary>
public sealed record PostgresBinaries(string Directory)
{
    /// <summary>The hint every "not found" message ends with.</summary>
    public const string InstallHint =
        "install them with `apt-get install -y postgresql` (scripts/run.sh and scripts/test.sh do), or set LIFECYCLE_DATABASE_URL";

    public string InitDb => Path.Combine(Directory, "initdb");

    public string PgCtl => Path.Combine(Directory, "pg_ctl");

    /// <summary>
    /// Finds the server programs: <c>pg_config --bindir</c> first, then the newest <c>/usr/lib/postgresql/*/bin</c>
    /// (Debian installs the server there and puts only client wrappers on PATH).
    /// </summary>
    public static async Task<PostgresBinaries> LocateAsync(CancellationToken cancellationToken = default)
    {
        var candidates = new List<string>();
        var fromPgConfig = await OsCommand.RunAsync("pg_config", ["--bindir"], cancellationToken: cancellationToken);
        if (fromPgConfig.ExitCode == 0)
        {
            candidates.Add(fromPgConfig.StandardOutput.Trim());
        }
        const string debianRoot = "/usr/lib/postgresql";
        if (System.IO.Directory.Exists(debianRoot))
        {
            candidates.AddRange(System.IO.Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "bin")));
        }
        foreach (var directory in candidates)
        {
            var binaries = new PostgresBinaries(directory);
            if (File.Exists(binaries.InitDb) && File.Exists(binaries.PgCtl))
            {
                return binaries;
            }
        }
        throw new StoreStartupException(
            $"embedded PostgreSQL: server programs initdb and pg_ctl not found (looked in `pg_config --bindir` and {debianRoot}/*/bin); {InstallHint}");
    }
}
