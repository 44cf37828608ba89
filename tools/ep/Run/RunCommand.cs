using System;
using System.CommandLine;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Ep.Tools.Run;

namespace Ep.Tool;

/// <summary>
/// <c>ep run -n N -- &lt;command&gt;</c>: ep-run under the ep tool. It calls ep-run's own parser and launcher, so options,
/// output prefixes and exit codes (the failing rank's code, 124 timeout, 127 cannot start, 130 stopped, 2 usage) are the same.
/// </summary>
internal static class RunCommand
{
    public const string Name = "run";

    /// <summary>Parses ep-run's options from <paramref name="args"/> and launches the ranks.</summary>
    public static async Task<int> RunAsync(string[] args, ToolConsole console)
    {
        EpRunOptions? options;
        try
        {
            options = EpRunCommandLine.Parse(args);
        }
        catch (EpRunUsageException error)
        {
            console.Error.WriteLine("ep run: " + error.Message);
            console.Error.WriteLine(Usage);
            return ToolExit.UsageError;
        }

        if (options is null)
        {
            console.Out.WriteLine(Usage);
            return ToolExit.Success;
        }

        // As ep-run: Ctrl-C or SIGTERM stops the ranks and reports, instead of killing ep and orphaning them.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using PosixSignalRegistration onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await new EpRunLauncher(options, console.Out, console.Error).RunAsync(stop.Token).ConfigureAwait(false);
    }

    /// <summary>ep-run's usage text with this tool's command name.</summary>
    public static string Usage => EpRunCommandLine.Usage.Replace("ep-run", "ep run", StringComparison.Ordinal);

    /// <summary>A command that only lists <c>run</c> in <c>ep --help</c>; <see cref="EpTool"/> never lets the parser invoke it.</summary>
    public static Command CreateForHelp()
    {
        var command = new Command(Name, "Start N ranks of a multi-process Ep program on this machine (ep-run): ep run -n N [--timeout S] [--port P] [--master-addr A] -- <command> [args...]")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        return command;
    }
}
