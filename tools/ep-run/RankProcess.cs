using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Ep.Tools.Run;

/// <summary>One rank: its process, and the copies of its output into ep-run's.</summary>
internal sealed class RankProcess : IDisposable
{
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly Task _copies;
    private readonly CancellationTokenSource _stopCopying = new();

    private RankProcess(int rank, Process process, TextWriter output, TextWriter errors)
    {
        Rank = rank;
        _process = process;
        string prefix = string.Create(CultureInfo.InvariantCulture, $"[rank {rank}] ");
        _copies = Task.WhenAll(
            PrefixedLineCopier.CopyAsync(process.StandardOutput, output, prefix, _stopCopying.Token),
            PrefixedLineCopier.CopyAsync(process.StandardError, errors, prefix, _stopCopying.Token));
        Exited = WaitAsync();
    }

    public int Rank { get; }

    /// <summary>Completes with this rank once its process has exited.</summary>
    public Task<RankProcess> Exited { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    /// <exception cref="System.ComponentModel.Win32Exception">The command cannot be started (not found, not executable).</exception>
    public static RankProcess Start(int rank, EpRunOptions options, int port, TextWriter output, TextWriter errors)
    {
        var start = new ProcessStartInfo(options.Command)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in RankEnvironment.For(rank, options.Ranks, options.MasterAddress, port))
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned no process.");
        return new RankProcess(rank, process, output, errors);
    }

    /// <summary>Kills the rank and every process it started (SIGKILL); a no-op once it has exited.</summary>
    public void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>Asks the rank to stop (SIGTERM on Unix), as a terminal's Ctrl-C or a scheduler's stop would.</summary>
    public void Terminate()
    {
        if (!OperatingSystem.IsWindows() && !_process.HasExited)
        {
            UnixSignals.Terminate(_process.Id);
        }
        else
        {
            KillTree();
        }
    }

    /// <summary>Waits until the output copies have caught up, or a short while if a killed rank's orphan holds a pipe.</summary>
    public async Task DrainOutputAsync()
    {
        if (await Task.WhenAny(_copies, Task.Delay(OutputDrainLimit)).ConfigureAwait(false) != _copies)
        {
            await _stopCopying.CancelAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _stopCopying.Dispose();
        _process.Dispose();
    }

    private async Task<RankProcess> WaitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        return this;
    }
}
