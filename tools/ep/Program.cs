using System;
using System.Threading.Tasks;

namespace Ep.Tool;

/// <summary>Entry point: wires the real console to <see cref="EpTool"/>.</summary>
internal static class EpToolProgram
{
    public static Task<int> Main(string[] args) =>
        EpTool.RunAsync(args, new ToolConsole(Console.Out, Console.Error, ToolConsole.StdoutIsTerminal()));
}
