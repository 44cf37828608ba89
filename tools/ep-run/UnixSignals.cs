using System.Runtime.InteropServices;

namespace Ep.Tools.Run;

/// <summary>kill(2): .NET's Process.Kill only sends SIGKILL, which gives a rank no chance to clean up.</summary>
internal static partial class UnixSignals
{
    private const int SigTerm = 15;

    public static void Terminate(int processId) => _ = Kill(processId, SigTerm);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int processId, int signal);
}
