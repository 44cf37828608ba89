using System;
using System.Linq;
using Ep.Bench.Baselines;
using Ep.Bench.Layers;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class EpBenchRunnerTests
{
    [Fact]
    public void High_throughput_flat_passes_ep_bench_our_sizes()
    {
        EpLayerSpec spec = BenchLayers.Find("ht-flat")!.Spec;

        Assert.Equal(
            ["--algorithm", "ht", "--layout", "fl", "--tokens", "4096", "--hidden", "7168", "--top-k", "8", "--experts", "256", "--warmup", "10", "--iters", "50"],
            EpBenchRunner.Arguments(spec, 4096, 10, 50));
    }

    [Fact]
    public void Low_latency_and_zero_copy_get_their_flags()
    {
        Assert.Equal(["--algorithm", "ll", "--layout", "em", "--tokens", "128"], EpBenchRunner.Arguments(BenchLayers.Find("ll")!.Spec, 128, 1, 5).Take(6));
        Assert.Contains("--zcopy", EpBenchRunner.Arguments(BenchLayers.Find("ht-flat-zc")!.Spec, 4096, 1, 5));
        Assert.Contains("--expert-major-alignment", EpBenchRunner.Arguments(BenchLayers.Find("ht-em")!.Spec with { ExpertAlignment = 128 }, 4096, 1, 5));
    }

    [Fact]
    public void Ep_bench_always_times_at_least_two_iterations_because_it_drops_the_first()
    {
        Assert.Equal("2", EpBenchRunner.Arguments(BenchLayers.Find("ll")!.Spec, 128, 0, 1)[^1]);
    }

    [Fact]
    public void Expert_major_with_too_many_local_experts_is_not_run_at_one_rank()
    {
        Assert.Contains("hangs", EpBenchRunner.RefusalAtOneRank(BenchLayers.Find("ht-em")!.Spec), StringComparison.Ordinal);
        Assert.Null(EpBenchRunner.RefusalAtOneRank(BenchLayers.Find("ht-flat")!.Spec));
        Assert.Null(EpBenchRunner.RefusalAtOneRank(BenchLayers.Find("ll")!.Spec));
    }
}
