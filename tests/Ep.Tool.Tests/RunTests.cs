using System.Threading.Tasks;
using Xunit;

namespace Ep.Tool.Tests;

public class RunTests
{
    [Fact]
    public async Task A_failing_rank_makes_ep_run_exit_with_its_code()
    {
        var (exitCode, output, _) = await ToolRunner.Run("run", "-n", "2", "--", "sh", "-c", "echo rank $EP_RANK; exit 3");

        Assert.Equal(3, exitCode);
        Assert.Contains("[rank 0] rank 0", output, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Succeeding_ranks_exit_zero()
    {
        var (exitCode, _, _) = await ToolRunner.Run("run", "-n", "2", "--", "true");

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task A_wrong_command_line_exits_two_with_ep_runs_usage()
    {
        var (exitCode, _, error) = await ToolRunner.Run("run", "--", "true");

        Assert.Equal(2, exitCode);
        Assert.Contains("Usage: ep run -n N", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        var (exitCode, output, _) = await ToolRunner.Run("--help");

        Assert.Equal(0, exitCode);
        foreach (string command in new[] { "plan", "doctor", "bench", "run" })
        {
            Assert.Contains(command, output, System.StringComparison.Ordinal);
        }
    }
}
