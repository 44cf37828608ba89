using System;
using Ep.Bench.Engines;
using Ep.Bench.Options;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Defaults_mirror_ep_bench_high_throughput_on_every_engine_that_can_run()
    {
        BenchOptions o = BenchCommandLine.Parse([], out _)!;

        Assert.Equal("ht-flat", o.Layer.Name);
        Assert.Equal((4096, 7168, 8, 256), (o.Tokens, o.Layer.Spec.HiddenSize, o.Layer.Spec.TopK, o.Layer.Spec.Experts));
        Assert.Equal([BenchEngine.Staged, BenchEngine.NcclEp], o.Engines);
        Assert.False(o.EnginesRequested);
        Assert.Equal((1, 10, 50, false, true), (o.Ranks, o.Warmup, o.Iterations, o.CudaGraph, o.RunEpBench));
        Assert.False(o.NewRoutingEachStep); // one routing throughout, as ep_bench
        Assert.False(o.PreparedRouting);
        Assert.False(o.RoutePlan);
    }

    [Fact]
    public void Every_option_is_read()
    {
        BenchOptions o = BenchCommandLine.Parse(
            ["--layer", "ll", "--engine", "nccl-ep,staged", "--ranks", "8", "--tokens", "64", "--warmup", "3", "--iters", "7",
             "--json", "out/r.json", "--cuda-graph", "--no-ep-bench", "--ep-bench-timeout", "30", "--new-routing", "--prepared", "--route-plan"], out _)!;

        Assert.Equal("ll", o.Layer.Name);
        Assert.Equal([BenchEngine.NcclEp, BenchEngine.Staged], o.Engines);
        Assert.True(o.EnginesRequested);
        Assert.Equal((8, 64, 3, 7, "out/r.json", true, false), (o.Ranks, o.Tokens, o.Warmup, o.Iterations, o.JsonPath, o.CudaGraph, o.RunEpBench));
        Assert.Equal(TimeSpan.FromSeconds(30), o.EpBenchTimeout);
        Assert.True(o.NewRoutingEachStep);
        Assert.True(o.PreparedRouting);
        Assert.True(o.RoutePlan);
    }

    [Fact]
    public void Help_and_the_layer_list_return_no_options()
    {
        Assert.Null(BenchCommandLine.Parse(["--help"], out bool list));
        Assert.False(list);
        Assert.Null(BenchCommandLine.Parse(["--list-layers"], out list));
        Assert.True(list);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("'--layer' needs a value", "--layer")]
    [InlineData("'--iters' needs a value", "--iters", "--json", "x")]
    [InlineData("--layer 'huge' is not a configuration; use one of ht-flat", "--layer", "huge")]
    [InlineData("--engine 'cuda' is not an engine", "--engine", "cuda")]
    [InlineData("--engine needs at least one engine", "--engine", ",")]
    [InlineData("--ranks expects a whole number in [1, 64]; got '65'", "--ranks", "65")]
    [InlineData("--ranks 3 does not divide the 256 experts of --layer ht-flat", "--ranks", "3")]
    [InlineData("--tokens 5000 is above the layer's MaxTokensPerRank (4096)", "--tokens", "5000")]
    [InlineData("--tokens expects a whole number in [1, 2147483647]; got '0'", "--tokens", "0")]
    [InlineData("--iters expects a whole number in [1, 1000000]; got 'many'", "--iters", "many")]
    [InlineData("--warmup expects a whole number in [0, 100000]; got '-1'", "--warmup", "-1")]
    [InlineData("--engine reference runs on the CPU and is far too slow for --layer ht-flat", "--engine", "reference")]
    public void Mistakes_are_usage_errors_that_say_what_to_do(string expected, params string[] args)
    {
        var error = Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(args, out _));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reference_engine_runs_small_layers()
    {
        BenchOptions o = BenchCommandLine.Parse(["--layer", "small-ht", "--engine", "reference", "--ranks", "4"], out _)!;

        Assert.Equal([BenchEngine.Reference], o.Engines);
        Assert.Equal(128, o.Tokens);
    }
}
