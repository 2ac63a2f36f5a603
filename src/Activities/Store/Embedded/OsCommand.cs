using System.Diagnostics;
using System.Text;

namespace Lifecycle.Activities.Store.Embedded;

/// <summary>The outcome of one finished command: its exit code and everything it printed.</summary>
public sealed record OsCommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>The last non-empty line of stderr (or stdout), for one-line error messages.</summary>
    public string LastLine
    {
        get
        {
            var text = string.IsNullOrWhiteSpace(StandardError) ? StandardOutput : StandardError;
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        }
    }
}

/// <summary>Runs a short command to completion, optionally as another system user (through <c>runuser</c>).</summary>
public static class OsCommand
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/>; never throws for a non-zero exit.</summary>
    public static async Task<OsCommandResult> RunAsync(
        string file, IEnumerable<string> arguments, string? runAsUser = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo
        {
            FileName = runAsUser is null ? file : "runuser",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (runAsUser is not null)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(runAsUser);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // Predictable messages from PostgreSQL tools whatever the caller's locale.
        start.Environment["LC_ALL"] = "C";

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new OsCommandResult(127, "", $"{start.FileName}: {e.Message}");
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new OsCommandResult(process.ExitCode, await stdout, await stderr);
    }
}
