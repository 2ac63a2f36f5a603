namespace Lifecycle.Activities.Providers;

/// <summary>What went wrong in a provider call; decides how callers react (not found is success for a delete).</summary>
public enum ProviderErrorKind
{
    /// <summary>Non-zero exit (other than 30/31); the message carries stderr.</summary>
    Failed,

    /// <summary>Exit 30: the provider does not have the instance.</summary>
    NotFound,

    /// <summary>Exit 31: the provider already has it.</summary>
    Duplicate,

    /// <summary>The call ran past the provider's timeout; its process tree was killed.</summary>
    TimedOut,

    /// <summary>Exit 0 but stdout is not the JSON the command must print, or the JSON breaks the contract.</summary>
    InvalidOutput,

    /// <summary>The executable could not be started (missing, not executable).</summary>
    StartFailed,
}

/// <summary>
/// A failed provider call, with the context a person needs:
/// <c>provider "lxd" CreateInstance for instance "lc-abc": exit 1: quota exceeded</c>.
/// </summary>
public sealed class ProviderException : Exception
{
    /// <summary>Creates the error; the message is the context followed by <paramref name="detail"/>.</summary>
    public ProviderException(string provider, ProviderCommand command, string subject, ProviderErrorKind kind, string detail, int? exitCode = null, Exception? inner = null)
        : base($"provider \"{provider}\" {command.ToText()}{subject}: {detail}", inner)
    {
        Provider = provider;
        Command = command;
        Kind = kind;
        Detail = detail;
        ExitCode = exitCode;
    }

    /// <summary>The configured provider name.</summary>
    public string Provider { get; }

    /// <summary>The command that failed.</summary>
    public ProviderCommand Command { get; }

    /// <summary>What kind of failure it was.</summary>
    public ProviderErrorKind Kind { get; }

    /// <summary>The failure without the context prefix (e.g. <c>exit 1: quota exceeded</c>).</summary>
    public string Detail { get; }

    /// <summary>The exit code, when the process exited by itself.</summary>
    public int? ExitCode { get; }
}
