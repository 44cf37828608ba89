using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Ep.Tools.Run;

/// <summary>
/// Starts the ranks, waits, and stops them all as soon as one fails or the timeout passes. Exit codes: 0 when every
/// rank exits 0; the first failing rank's code; 124 on timeout; 130 when ep-run itself is asked to stop; 127 when the
/// command cannot be started.
/// </summary>
internal sealed class EpRunLauncher
{
    public const int TimedOutExitCode = 124;
    public const int CannotStartExitCode = 127;
    public const int StoppedExitCode = 130;

    /// <summary>How long ranks asked to stop (SIGTERM) get before they are killed.</summary>
    public static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(5);

    private readonly EpRunOptions _options;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;

    public EpRunLauncher(EpRunOptions options, TextWriter output, TextWriter errors)
    {
        _options = options;
        _output = output;
        _errors = errors;
    }

    public async Task<int> RunAsync(CancellationToken stop)
    {
        int port = _options.Port ?? FreeTcpPort.Pick();
        var ranks = new List<RankProcess>();
        try
        {
            for (int rank = 0; rank < _options.Ranks; rank++)
            {
                try
                {
                    ranks.Add(RankProcess.Start(rank, _options, port, _output, _errors));
                }
                catch (Win32Exception error)
                {
                    Report($"could not start rank {rank} ('{_options.Command}'): {error.Message}.");
                    await StopAll(ranks, gracefully: false).ConfigureAwait(false);
                    return CannotStartExitCode;
                }
            }

            return await Supervise(ranks, stop).ConfigureAwait(false);
        }
        finally
        {
            foreach (RankProcess rank in ranks)
            {
                rank.Dispose();
            }
        }
    }

    private async Task<int> Supervise(List<RankProcess> ranks, CancellationToken stop)
    {
        var running = ranks.Select(r => (Task)r.Exited).ToList();
        var timeout = new TaskCompletionSource();
        using CancellationTokenRegistration onStop = stop.Register(() => timeout.TrySetCanceled(stop));
        using var timer = _options.Timeout is { } limit ? new Timer(_ => timeout.TrySetResult(), null, limit, Timeout.InfiniteTimeSpan) : null;

        while (running.Count > 0)
        {
            Task first = await Task.WhenAny(running.Append(timeout.Task)).ConfigureAwait(false);
            if (first == timeout.Task)
            {
                string still = string.Join(", ", ranks.Where(r => !r.HasExited).Select(r => r.Rank));
                if (timeout.Task.IsCanceled)
                {
                    Report($"stopping: forwarding termination to rank(s) {still}.");
                    await StopAll(ranks, gracefully: true).ConfigureAwait(false);
                    return StoppedExitCode;
                }

                Report(string.Create(CultureInfo.InvariantCulture,
                    $"timed out after {_options.Timeout!.Value.TotalSeconds:0.###} s; rank(s) {still} still running; stopping them."));
                await StopAll(ranks, gracefully: false).ConfigureAwait(false);
                return TimedOutExitCode;
            }

            running.Remove(first);
            RankProcess exited = await ((Task<RankProcess>)first).ConfigureAwait(false);
            if (exited.ExitCode != 0)
            {
                int others = ranks.Count(r => r != exited && !r.HasExited);
                Report(string.Create(CultureInfo.InvariantCulture,
                    $"rank {exited.Rank} exited with code {exited.ExitCode}; stopping the other {others} running rank(s)."));
                await StopAll(ranks, gracefully: false).ConfigureAwait(false);
                return exited.ExitCode is > 0 and < 256 ? exited.ExitCode : 1;
            }
        }

        await DrainAll(ranks).ConfigureAwait(false);
        return 0;
    }

    private static async Task StopAll(List<RankProcess> ranks, bool gracefully)
    {
        if (gracefully)
        {
            foreach (RankProcess rank in ranks)
            {
                rank.Terminate();
            }

            await Task.WhenAny(Task.WhenAll(ranks.Select(r => r.Exited)), Task.Delay(TerminationGrace)).ConfigureAwait(false);
        }

        // Whole trees: a rank started through a shell or a wrapper must not leave its real program running.
        foreach (RankProcess rank in ranks)
        {
            rank.KillTree();
        }

        await Task.WhenAll(ranks.Select(r => r.Exited)).ConfigureAwait(false);
        await DrainAll(ranks).ConfigureAwait(false);
    }

    private static Task DrainAll(List<RankProcess> ranks) => Task.WhenAll(ranks.Select(r => r.DrainOutputAsync()));

    private void Report(string message)
    {
        lock (_errors)
        {
            _errors.WriteLine("ep-run: " + message);
            _errors.Flush();
        }
    }
}
