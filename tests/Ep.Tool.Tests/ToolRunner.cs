using System.IO;
using System.Text.Json;
using System.Threading.Tasks;

namespace Ep.Tool.Tests;

/// <summary>Runs the ep tool in-process with captured, non-terminal output.</summary>
internal static class ToolRunner
{
    public static async Task<(int ExitCode, string Out, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = await EpTool.RunAsync(args, new ToolConsole(output, error, IsTerminal: false));
        return (exitCode, output.ToString(), error.ToString());
    }

    public static JsonDocument Json(string text) => JsonDocument.Parse(text);
}
