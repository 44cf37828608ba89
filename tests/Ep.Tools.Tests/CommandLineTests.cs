using System;
using Ep.Tools.Run;
using Xunit;

namespace Ep.Tools.Tests;

/// <summary>ep-run's command line: options before the command, everything after it passed through.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void Parses_every_option_and_keeps_the_commands_own_arguments()
    {
        EpRunOptions options = EpRunCommandLine.Parse(["-n", "4", "--timeout", "2.5", "--port", "29501", "--master-addr", "node1", "--", "dotnet", "train.dll", "-n", "7"])!;

        Assert.Equal(4, options.Ranks);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.Timeout);
        Assert.Equal(29501, options.Port);
        Assert.Equal("node1", options.MasterAddress);
        Assert.Equal("dotnet", options.Command);
        Assert.Equal(["train.dll", "-n", "7"], options.Arguments);
    }

    [Fact]
    public void Defaults_are_no_timeout_a_free_port_and_loopback()
    {
        EpRunOptions options = EpRunCommandLine.Parse(["--ranks", "2", "prog"])!;

        Assert.Equal((2, null, null, "127.0.0.1", "prog"), (options.Ranks, options.Timeout, options.Port, options.MasterAddress, options.Command));
        Assert.Empty(options.Arguments);
    }

    [Fact]
    public void Help_returns_no_options()
    {
        Assert.Null(EpRunCommandLine.Parse(["--help"]));
        Assert.Null(EpRunCommandLine.Parse(["-n", "2", "-h", "--", "x"]));
    }

    [Theory]
    [InlineData(new[] { "--", "prog" }, "-n N (the number of processes) is required.")]
    [InlineData(new[] { "-n", "2" }, "no command given; put it after '--', e.g. ep-run -n 4 -- dotnet MyTraining.dll")]
    [InlineData(new[] { "-n", "2", "--" }, "no command given; put it after '--', e.g. ep-run -n 4 -- dotnet MyTraining.dll")]
    [InlineData(new[] { "-n", "0", "--", "prog" }, "-n expects a number of processes in [1, 1024]; got '0'.")]
    [InlineData(new[] { "-n", "four", "--", "prog" }, "-n expects a number of processes in [1, 1024]; got 'four'.")]
    [InlineData(new[] { "-n" }, "'-n' needs a value.")]
    [InlineData(new[] { "-n", "2", "--timeout", "--", "prog" }, "'--timeout' needs a value.")]
    [InlineData(new[] { "-n", "2", "--timeout", "-1", "--", "prog" }, "--timeout expects a positive number of seconds; got '-1'.")]
    [InlineData(new[] { "-n", "2", "--port", "99999", "--", "prog" }, "--port expects a TCP port in [1, 65535]; got '99999'.")]
    [InlineData(new[] { "-n", "2", "--verbose", "--", "prog" }, "unknown option '--verbose'.")]
    public void Mistakes_are_explained(string[] args, string message)
    {
        var error = Assert.Throws<EpRunUsageException>(() => EpRunCommandLine.Parse(args));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Each_rank_gets_the_six_variables()
    {
        var variables = RankEnvironment.For(2, 4, "10.0.0.1", 29500);

        Assert.Equal("2", variables["EP_RANK"]);
        Assert.Equal("4", variables["EP_WORLD_SIZE"]);
        Assert.Equal("2", variables["EP_LOCAL_RANK"]);
        Assert.Equal("4", variables["EP_LOCAL_WORLD_SIZE"]);
        Assert.Equal("10.0.0.1", variables["EP_MASTER_ADDR"]);
        Assert.Equal("29500", variables["EP_MASTER_PORT"]);
        Assert.Equal(6, variables.Count);
    }
}
