using System.Globalization;

namespace TemporalDev.Cli;

/// <summary>How the server was launched: the temporal CLI's <c>server start-dev</c> form or the Java test server's form.</summary>
public sealed record ServerOptions
{
    public int Port { get; init; } = 7233;

    public string Ip { get; init; } = "127.0.0.1";

    /// <summary>Gets a value indicating whether the virtual clock skips time (the Java test-server form).</summary>
    public bool TimeSkipping { get; init; }

    public IReadOnlyList<string> Namespaces { get; init; } = ["default"];

    public string? DbFilename { get; init; }

    public IReadOnlyDictionary<string, string> SearchAttributes { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> DynamicConfig { get; init; } = new Dictionary<string, string>();

    /// <summary>Reads a dynamic config integer, falling back when it is absent or malformed.</summary>
    public long DynamicConfigInt(string key, long fallback) =>
        DynamicConfig.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : fallback;

    /// <summary>Parses either launch form; unknown flags are ignored because the SDK's fixtures pass many.</summary>
    public static ServerOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count >= 1 && int.TryParse(args[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var testPort))
        {
            // The SDK appends TestServerOptions.ExtraArgs after the port: flags such as --dynamic-config-value apply here too.
            return Parse(["start-dev", .. args.Skip(1)]) with { Port = testPort, Ip = "0.0.0.0", TimeSkipping = true };
        }

        var start = 0;
        if (args.Count >= 2 && args[0] == "server" && args[1] == "start-dev")
        {
            start = 2;
        }
        else if (args.Count >= 1 && args[0] == "start-dev")
        {
            start = 1;
        }
        else if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            throw new ArgumentException(
                $"unknown command \"{string.Join(' ', args)}\": use \"server start-dev [flags]\" or \"<port>\" (test-server form)");
        }

        var port = 7233;
        var ip = "127.0.0.1";
        string? db = null;
        var namespaces = new List<string> { "default" };
        var searchAttributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var dynamicConfig = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = start; i < args.Count; i++)
        {
            var (flag, inline) = SplitFlag(args[i]);
            string Value()
            {
                if (inline is not null) return inline;
                if (i + 1 >= args.Count) throw new ArgumentException($"flag {flag} needs a value");
                return args[++i];
            }

            switch (flag)
            {
                case "--port" or "-p":
                    var portText = Value();
                    if (!int.TryParse(portText, NumberStyles.Integer, CultureInfo.InvariantCulture, out port) || port is <= 0 or > 65535)
                    {
                        throw new ArgumentException($"--port: \"{portText}\" is not a TCP port");
                    }

                    break;
                case "--ip":
                    ip = Value();
                    break;
                case "--namespace" or "-n":
                    var ns = Value();
                    if (!namespaces.Contains(ns)) namespaces.Add(ns);
                    break;
                case "--db-filename" or "-f":
                    db = Value();
                    break;
                case "--search-attribute":
                    var sa = Value();
                    var eq = sa.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0) throw new ArgumentException($"--search-attribute: \"{sa}\" is not Name=Type");
                    searchAttributes[sa[..eq]] = sa[(eq + 1)..];
                    try
                    {
                        Engine.WorkflowEngine.CheckLaunchSearchAttributes(searchAttributes);
                    }
                    catch (Query.SearchAttributes.SearchAttributeException e)
                    {
                        throw new ArgumentException($"--search-attribute {sa}: {e.Message}", e);
                    }

                    break;
                case "--dynamic-config-value":
                    var kv = Value();
                    var sep = kv.IndexOf('=', StringComparison.Ordinal);
                    if (sep > 0) dynamicConfig[kv[..sep]] = kv[(sep + 1)..];
                    break;
                case "--headless":
                    break;
                case "--ui-port" or "--log-format" or "--log-level" or "--ui-ip" or "--metrics-port" or "--http-port" or "--config" or "--log-config":
                    _ = Value();
                    break;
                default:
                    // Unknown flags are ignored; if the next token is not a flag, it is the unknown flag's value.
                    if (inline is null && i + 1 < args.Count && !args[i + 1].StartsWith('-')) i++;
                    break;
            }
        }

        return new ServerOptions
        {
            Port = port,
            Ip = ip,
            DbFilename = db,
            Namespaces = namespaces,
            SearchAttributes = searchAttributes,
            DynamicConfig = dynamicConfig,
        };
    }

    private static (string Flag, string? Inline) SplitFlag(string arg)
    {
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }
}
