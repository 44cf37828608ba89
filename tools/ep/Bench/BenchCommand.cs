using System.CommandLine;
namespace Ep.Tool;
internal static class BenchCommand
{
    public static Command Create(ToolConsole console) => new("bench", "x");
}
