using System;
using System.IO;
using Spectre.Console;

namespace Ep.Tool;

/// <summary>
/// Where a command writes, and whether a person is watching: tables get colour and progress is animated only on a
/// terminal, so redirected output and tests see plain text (and <c>--json</c> sees nothing but JSON).
/// </summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
/// <param name="IsTerminal">True when <paramref name="Out"/> is an interactive terminal.</param>
internal sealed record ToolConsole(TextWriter Out, TextWriter Error, bool IsTerminal)
{
    /// <summary>Width used for tables when the output is not a terminal (files and pipes have no width of their own).</summary>
    public const int RedirectedWidth = 160;

    /// <summary>True when this process's standard output is a terminal.</summary>
    public static bool StdoutIsTerminal() => !Console.IsOutputRedirected;

    /// <summary>A Spectre console over <see cref="Out"/>: ANSI only on a terminal.</summary>
    public IAnsiConsole Rich()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!IsTerminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
