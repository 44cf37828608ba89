using System;
using Spectre.Console;

namespace Ep.Tool;

/// <summary>
/// Shows a spinner with a changing status line while long work runs (probing libraries, benchmark sweeps), but only
/// on a terminal and never with <c>--json</c>: a pipe or a log file gets the result alone.
/// </summary>
internal static class ToolProgress
{
    /// <summary>Runs <paramref name="work"/>, passing it a callback that updates the status line.</summary>
    public static T Run<T>(ToolConsole console, bool json, string initialStatus, Func<Action<string>, T> work)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        if (!console.IsTerminal || json)
        {
            return work(static _ => { });
        }

        return console.Rich().Status().Spinner(Spinner.Known.Dots).Start(Markup.Escape(initialStatus),
            context => work(status => context.Status(Markup.Escape(status))));
    }
}
