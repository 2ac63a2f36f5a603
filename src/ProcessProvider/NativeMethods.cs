using System.Runtime.InteropServices;

namespace Lifecycle.ProcessProvider;

/// <summary>The one system call .NET does not wrap: signalling a whole process group.</summary>
internal static partial class NativeMethods
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>kill(2): a negative pid signals the process group.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int Kill(int pid, int signal);
}
