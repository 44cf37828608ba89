using System;
using System.CommandLine;
using System.Threading.Tasks;

namespace Ep.Tool;

/// <summary>Builds the <c>ep</c> command tree and runs one command line against a <see cref="ToolConsole"/>.</summary>
internal static class EpTool
{
    /// <summary>Runs <paramref name="args"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, ToolConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);

        // ep run takes ep-run's command line verbatim, including everything after "--", so it bypasses the parser.
        if (args.Length > 0 && args[0] == RunCommand.Name)
        {
            return await RunCommand.RunAsync(args[1..], console).ConfigureAwait(false);
        }

        RootCommand root = CreateRoot(console);
        ParseResult result = root.Parse(args);
        return await result.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }).ConfigureAwait(false);
    }

    /// <summary>The command tree, writing to <paramref name="console"/>.</summary>
    public static RootCommand CreateRoot(ToolConsole console)
    {
        var root = new RootCommand("ep: memory plans, machine checks, benchmarks and the multi-process launcher for Ep expert-parallel layers");
        root.Subcommands.Add(PlanCommand.Create(console));
        root.Subcommands.Add(DoctorCommand.Create(console));
        root.Subcommands.Add(BenchCommand.Create(console));
        root.Subcommands.Add(RunCommand.CreateForHelp());
        return root;
    }
}
