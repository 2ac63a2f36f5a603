using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Lifecycle.ProcessProvider;

/// <summary>What the provider remembers about one instance (one JSON file per instance name, mode 0600: it holds the token).</summary>
internal sealed record InstanceRecord
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = string.Empty;

    [JsonPropertyName("provider_id")]
    public string ProviderId { get; init; } = string.Empty;

    [JsonPropertyName("controller_id")]
    public string ControllerId { get; init; } = string.Empty;

    [JsonPropertyName("pool_id")]
    public string PoolId { get; init; } = string.Empty;

    /// <summary>"running" or "stopped": what the caller last asked for.</summary>
    [JsonPropertyName("desired")]
    public string Desired { get; init; } = "running";

    [JsonPropertyName("pid")]
    public int Pid { get; init; }

    [JsonPropertyName("start_time")]
    public long StartTime { get; init; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("callback_url")]
    public string CallbackUrl { get; init; } = string.Empty;

    [JsonPropertyName("instance_token")]
    public string InstanceToken { get; init; } = string.Empty;

    [JsonPropertyName("os_arch")]
    public string OsArch { get; init; } = string.Empty;

    [JsonIgnore]
    public LocalProcess Process => new(Pid, StartTime);
}

/// <summary>
/// The state directory: <c>instances/&lt;name&gt;.json</c>, <c>locks/&lt;name&gt;.lock</c> (one writer per name,
/// across processes) and <c>logs/&lt;name&gt;.log</c> (the agent's output).
/// </summary>
internal sealed partial class InstanceStore
{
    private readonly string instances;
    private readonly string locks;

    public InstanceStore(string stateDir)
    {
        instances = Path.Combine(stateDir, "instances");
        locks = Path.Combine(stateDir, "locks");
        Logs = Path.Combine(stateDir, "logs");
        Directory.CreateDirectory(instances);
        Directory.CreateDirectory(locks);
        Directory.CreateDirectory(Logs);
    }

    public string Logs { get; }

    /// <summary>Names become file names, so only [A-Za-z0-9._-], 1–128 characters, not starting with a dot.</summary>
    public static void EnsureValidName(string name, string what)
    {
        if (!SafeName().IsMatch(name))
            throw new ProviderFailure($"invalid {what} \"{name}\": use 1-128 characters from A-Z a-z 0-9 . _ - (not starting with '.')");
    }

    public string RecordPath(string name) => Path.Combine(instances, name + ".json");

    public string LogPath(string name) => Path.Combine(Logs, name + ".log");

    public InstanceRecord? Read(string name)
    {
        try
        {
            return JsonSerializer.Deserialize<InstanceRecord>(File.ReadAllText(RecordPath(name)), Wire.Json);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Every record (skipping ones deleted while we read).</summary>
    public IEnumerable<InstanceRecord> All()
    {
        foreach (var file in Directory.EnumerateFiles(instances, "*.json").Order(StringComparer.Ordinal))
        {
            if (Read(Path.GetFileNameWithoutExtension(file)) is { } record)
                yield return record;
        }
    }

    /// <summary>The controller's record whose name or provider id is <paramref name="id"/>; an id we could never have made is simply not found.</summary>
    public InstanceRecord? Resolve(string id, string controllerId)
    {
        if (!SafeName().IsMatch(id))
            return null;
        var byName = Read(id);
        if (byName is not null && byName.ControllerId == controllerId)
            return byName;
        return All().FirstOrDefault(r => r.ProviderId == id && r.ControllerId == controllerId);
    }

    /// <summary>Writes atomically (temp file + rename) so a reader never sees half a record.</summary>
    public void Write(InstanceRecord record)
    {
        var path = RecordPath(record.Name);
        var temp = path + "." + Environment.ProcessId + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var stream = new FileStream(temp, options))
            JsonSerializer.Serialize(stream, record, Wire.Json);
        File.Move(temp, path, overwrite: true);
    }

    public void Remove(string name)
    {
        File.Delete(RecordPath(name));
        File.Delete(LogPath(name));
    }

    /// <summary>Holds the per-name lock (an exclusive flock on a lock file) until disposed; waits for other holders.</summary>
    public async Task<IDisposable> LockAsync(string name)
    {
        var path = Path.Combine(locks, name + ".lock");
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(15);
            }
            catch (IOException e)
            {
                throw new ProviderFailure($"instance \"{name}\" is locked by another call for over 60 s: {e.Message}");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
