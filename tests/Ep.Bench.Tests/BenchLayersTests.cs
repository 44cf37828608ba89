using Ep.Bench.Layers;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class BenchLayersTests
{
    [Theory]
    [InlineData("ht-flat", EpAlgorithm.HighThroughput, EpLayout.Flat, 4096, false)]
    [InlineData("ht-em", EpAlgorithm.HighThroughput, EpLayout.ExpertMajor, 4096, false)]
    [InlineData("ht-flat-zc", EpAlgorithm.HighThroughput, EpLayout.Flat, 4096, true)]
    [InlineData("ll", EpAlgorithm.LowLatency, EpLayout.ExpertMajor, 128, false)]
    public void The_large_layers_mirror_ep_bench_defaults(string name, EpAlgorithm algorithm, EpLayout layout, int tokens, bool zeroCopy)
    {
        BenchLayer layer = BenchLayers.Find(name)!;

        Assert.Equal((7168, 8, 256), (layer.Spec.HiddenSize, layer.Spec.TopK, layer.Spec.Experts));
        Assert.Equal((algorithm, layout, tokens, zeroCopy), (layer.Spec.Algorithm, layer.Spec.Layout, layer.Spec.MaxTokensPerRank, layer.Spec.ZeroCopy));
        Assert.False(layer.SmallEnoughForReference);
        Assert.Contains("#define EP_HIDDEN 7168", layer.KernelSource, System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ht-flat", 1)]
    [InlineData("ll", 1)]
    [InlineData("ht-em", 4)] // HT ExpertMajor allows at most 64 local experts (EP0012): 256 / 4
    public void The_smallest_world_each_layer_runs_in(string name, int ranks)
    {
        Assert.Equal(ranks, BenchLayers.Find(name)!.MinimumRanks);
    }

    [Fact]
    public void Names_are_case_insensitive_and_unknown_names_are_null()
    {
        Assert.Same(BenchLayers.Find("ll"), BenchLayers.Find("LL"));
        Assert.Null(BenchLayers.Find("huge"));
    }
}
