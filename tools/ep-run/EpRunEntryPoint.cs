using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Ep.Tools.Run;

/// <summary>
/// The whole launcher behind a command line: parse, print usage, trap Ctrl-C and SIGTERM, start the ranks. Shared by
/// <c>ep-run</c> and <c>ep run</c>, so both have the same options, messages and exit codes (2 for a bad command line).
/// </summary>
internal static class EpRunEntryPoint
{
    /// <summary>Exit code of a bad command line.</summary>
    public const int UsageError = 2;

    /// <summary>ep-run's usage text under <paramref name="programName"/> (e.g. "ep run").</summary>
    public static string Usage(string programName) => EpRunCommandLine.Usage.Replace("ep-run", programName, StringComparison.Ordinal);

    /// <summary>Runs <paramref name="args"/> (ep-run's options, then <c>--</c> and the command); returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, string programName, TextWriter output, TextWriter error)
    {
        EpRunOptions? options;
        try
        {
            options = EpRunCommandLine.Parse(args);
        }
        catch (EpRunUsageException usage)
        {
            await error.WriteLineAsync(programName + ": " + usage.Message).ConfigureAwait(false);
            await error.WriteLineAsync(Usage(programName)).ConfigureAwait(false);
            return UsageError;
        }

        if (options is null)
        {
            await output.WriteLineAsync(Usage(programName)).ConfigureAwait(false);
            return 0;
        }

        // Ctrl-C or a scheduler's SIGTERM: keep the launcher alive long enough to stop its ranks and say so.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using PosixSignalRegistration onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await new EpRunLauncher(options, output, error).RunAsync(stop.Token).ConfigureAwait(false);
    }
}
