using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Ep.Tools.Run;
using Xunit;

namespace Ep.Tools.Tests;

/// <summary>
/// ep-run's launcher with real processes (POSIX sh scripts as ranks): prefixes, fail-fast, timeout, stop. Ranks that
/// should be stopped sleep 60 s, so a test that finishes shows they were killed rather than left to complete.
/// </summary>
public sealed partial class LauncherTests
{
    private sealed record Run(int ExitCode, string Output, string Errors);

    private static async Task<Run> Launch(int ranks, string script, CancellationToken stop, TimeSpan? timeout = null, int? port = null)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var options = new EpRunOptions(ranks, timeout, port, EpRunOptions.DefaultMasterAddress, "/bin/sh", ["-c", script]);
        int exitCode = await new EpRunLauncher(options, output, errors).RunAsync(stop);
        return new Run(exitCode, output.ToString(), errors.ToString());
    }

    // A killed process may stay a zombie until its new parent reaps it, so "dead" is gone from /proc or state Z,
    // and the kill is given a moment to land.
    private static async Task<bool> StaysAlive(int processId)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            string stat = $"/proc/{processId}/stat";
            if (!File.Exists(stat))
            {
                return false;
            }

            string text = await File.ReadAllTextAsync(stat, TestContext.Current.CancellationToken);
            if (text[(text.LastIndexOf(')') + 2)..].StartsWith('Z'))
            {
                return false;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return true;
    }

    [GeneratedRegex(@"\[rank \d\] sleeper (\d+)")]
    private static partial Regex SleeperPid();

    [Fact]
    public async Task All_ranks_succeed_exit_zero_with_prefixed_output_and_the_variables_set()
    {
        Run run = await Launch(3, "echo \"hello $EP_RANK/$EP_WORLD_SIZE local $EP_LOCAL_RANK/$EP_LOCAL_WORLD_SIZE at $EP_MASTER_ADDR:$EP_MASTER_PORT\"; echo \"warn $EP_RANK\" >&2", TestContext.Current.CancellationToken, port: 29876);

        Assert.Equal(0, run.ExitCode);
        for (int rank = 0; rank < 3; rank++)
        {
            Assert.Contains($"[rank {rank}] hello {rank}/3 local {rank}/3 at 127.0.0.1:29876{Environment.NewLine}", run.Output, StringComparison.Ordinal);
            Assert.Contains($"[rank {rank}] warn {rank}{Environment.NewLine}", run.Errors, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("ep-run:", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_port_every_rank_gets_the_same_free_one()
    {
        Run run = await Launch(2, "echo port $EP_MASTER_PORT", TestContext.Current.CancellationToken);

        string[] ports = run.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[^1]).Distinct().ToArray();
        Assert.Single(ports);
        Assert.InRange(int.Parse(ports[0], System.Globalization.CultureInfo.InvariantCulture), 1, 65535);
    }

    [Fact]
    public async Task One_failing_rank_stops_the_others_and_its_code_is_the_exit_code()
    {
        // Ranks other than 1 start a grandchild that sleeps: killing must reach the whole tree.
        Run run = await Launch(3, "if [ \"$EP_RANK\" = 1 ]; then sleep 0.5; echo failing; exit 3; fi; sh -c 'echo sleeper $$; exec sleep 60'; echo finished", TestContext.Current.CancellationToken);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("ep-run: rank 1 exited with code 3; stopping the other 2 running rank(s).", run.Errors, StringComparison.Ordinal);
        Assert.Contains("[rank 1] failing", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("finished", run.Output, StringComparison.Ordinal);
        int[] sleepers = SleeperPid().Matches(run.Output).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2, sleepers.Length);
        foreach (int pid in sleepers)
        {
            Assert.False(await StaysAlive(pid), $"process {pid} of a stopped rank is still running");
        }
    }

    [Fact]
    public async Task A_hang_past_the_timeout_stops_every_rank_and_exits_124()
    {
        Run run = await Launch(2, "echo started; sleep 60; echo finished", TestContext.Current.CancellationToken, timeout: TimeSpan.FromSeconds(1));

        Assert.Equal(124, run.ExitCode);
        Assert.Contains("ep-run: timed out after 1 s; rank(s) 0, 1 still running; stopping them.", run.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("finished", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_ep_run_forwards_termination_to_the_ranks()
    {
        using var stop = new CancellationTokenSource();
        Task<Run> running = Launch(2, "trap 'echo terminated; kill $child; exit 0' TERM; echo ready; sleep 60 & child=$!; wait", stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        await stop.CancelAsync();
        Run run = await running;

        Assert.Equal(130, run.ExitCode);
        Assert.Contains("ep-run: stopping: forwarding termination to rank(s) 0, 1.", run.Errors, StringComparison.Ordinal);
        Assert.Contains("[rank 0] terminated", run.Output, StringComparison.Ordinal);
        Assert.Contains("[rank 1] terminated", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_cannot_start_exits_127()
    {
        var errors = new StringWriter();
        var options = new EpRunOptions(2, null, null, EpRunOptions.DefaultMasterAddress, "/nonexistent/ep-program", []);

        int exitCode = await new EpRunLauncher(options, TextWriter.Null, errors).RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal(127, exitCode);
        Assert.StartsWith("ep-run: could not start rank 0 ('/nonexistent/ep-program'):", errors.ToString(), StringComparison.Ordinal);
    }
}
