using Lifecycle.Activities.Providers;

namespace Instances.Bench;

/// <summary>
/// A GARM external provider whose machines are files: a real executable on the real contract that answers in
/// milliseconds, so thousands of instances can be held idle without thousands of agent processes.
/// </summary>
internal static class InstantProvider
{
    public const string Name = "instant";

    private const string Script = """
        #!/bin/bash
        PATH=/usr/bin:/bin
        # Shell builtins only: one process per provider call (a fork of bash costs far more than its work here).
        dir="${GARM_PROVIDER_CONFIG_FILE%/*}/instant"
        [ -d "$dir" ] || mkdir -p "$dir"
        json() { printf '{"provider_id":"ip-%s","name":"%s","os_type":"linux","os_name":"instant","os_version":"1","os_arch":"amd64","status":"running"}' "$1" "$1"; }
        id=${GARM_INSTANCE_ID#ip-}
        case "$GARM_COMMAND" in
          CreateInstance) IFS= read -r -d '' input; [[ $input =~ \"name\":\"([^\"]*)\" ]] || exit 1; name=${BASH_REMATCH[1]}; : >"$dir/$name"; json "$name" ;;
          GetInstance) [ -f "$dir/$id" ] || exit 30; json "$id" ;;
          DeleteInstance) [ -f "$dir/$id" ] || exit 30; rm -f "$dir/$id" ;;
          ListInstances) printf '[]' ;;
          GetVersion) printf 'v0.1.1' ;;
          *) ;;
        esac
        """;

    /// <summary>Writes the script and its (empty) config file under <paramref name="work"/> and describes it.</summary>
    public static ProviderDefinition Definition(string work)
    {
        var executable = Path.Combine(work, "instant-provider.sh");
        File.WriteAllText(executable, Script.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = Path.Combine(work, "instant.conf");
        File.WriteAllText(config, string.Empty);
        return new ProviderDefinition
        {
            Name = Name,
            Executable = executable,
            ConfigFile = config,
            InterfaceVersion = ProviderContract.InterfaceV011,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }
}
