using System.Collections.Generic;

namespace Ep.Tool;

/// <summary>Exit codes shared by every command (ep run keeps ep-run's own: the rank's code, 124 for a timeout).</summary>
internal static class ToolExit
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>A declared requirement is missing (doctor), or the work failed (bench).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong, as System.CommandLine and ep-run report it.</summary>
    public const int UsageError = 2;

    /// <summary>Writes each problem to standard error and returns <see cref="UsageError"/>.</summary>
    public static int Usage(ToolConsole console, IEnumerable<string> problems)
    {
        foreach (string problem in problems)
        {
            console.Error.WriteLine("ep: " + problem);
        }

        return UsageError;
    }
}
