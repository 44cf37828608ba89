using System;
using System.CommandLine;
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

    /// <summary>Parses ep-run's options from <paramref name="args"/> and launches the ranks, exactly as ep-run does.</summary>
    public static Task<int> RunAsync(string[] args, ToolConsole console) =>
        EpRunEntryPoint.RunAsync(args, "ep run", console.Out, console.Error);

    /// <summary>ep-run's usage text with this tool's command name.</summary>
    public static string Usage => EpRunEntryPoint.Usage("ep run");

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
