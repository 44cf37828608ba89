using System.Collections.Generic;
using Ep.Bench.Engines;
using Ep.Bench.Options;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class ProcessModeCommandLineTests
{
    private static readonly Dictionary<string, string> NoLauncher = [];

    private static BenchOptions Parse(string[] args, Dictionary<string, string>? environment = null) =>
        BenchCommandLine.Parse(args, out _, name => (environment ?? NoLauncher).GetValueOrDefault(name))!;

    [Fact]
    public void Processes_is_off_by_default_and_on_with_the_flag()
    {
        Assert.False(Parse([]).Processes);
        BenchOptions o = Parse(["--layer", "ht-flat", "--engine", "all", "--processes", "--json", "out.json"]);

        Assert.True(o.Processes);
        Assert.Equal([BenchEngine.Staged, BenchEngine.NcclEp], o.Engines);
        Assert.Equal("out.json", o.JsonPath);
    }

    [Theory]
    [InlineData("EP_RANK")]
    [InlineData("OMPI_COMM_WORLD_RANK")]
    [InlineData("SLURM_PROCID")]
    public void A_launchers_rank_variable_turns_process_mode_on_without_the_flag(string variable)
    {
        Assert.True(Parse(["--layer", "ll"], new() { [variable] = "1" }).Processes);
    }

    [Theory]
    [InlineData("--ranks", "2")]
    [InlineData("--kernels")]
    public void Options_of_a_one_process_run_are_refused_with_processes(params string[] extra)
    {
        var e = Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(["--processes", .. extra], out _, _ => null));

        Assert.Contains("--processes", e.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Under_a_launcher_simulated_ranks_are_refused_too()
    {
        Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(["--ranks", "4"], out _, name => name == "EP_RANK" ? "0" : null));
    }

    [Fact]
    public void The_reference_engine_is_refused_in_process_mode()
    {
        Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(["--processes", "--layer", "small-ht", "--engine", "reference"], out _, _ => null));
    }

    [Fact]
    public void The_usage_documents_process_mode()
    {
        Assert.Contains("--processes", BenchCommandLine.Usage, System.StringComparison.Ordinal);
        Assert.Contains("ep-run -n N", BenchCommandLine.Usage, System.StringComparison.Ordinal);
    }
}
