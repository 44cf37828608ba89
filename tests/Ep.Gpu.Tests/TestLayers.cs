using System.Collections.Generic;
using System.Linq;

namespace Ep.Gpu.Tests;

// Small layers that cover every layout and weighting. E = 16 divides every tested world (1, 2, 4, 8 ranks).
[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 64, MaxTokensPerRank = 40)]
internal sealed partial class FlatMoe;

[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 64, MaxTokensPerRank = 40, ApplyWeightsInCombine = true)]
internal sealed partial class FlatWeightedMoe;

[ExpertParallelLayer(Experts = 16, TopK = 3, HiddenSize = 72, MaxTokensPerRank = 40, Layout = EpLayout.ExpertMajor, ExpertAlignment = 8, ApplyWeightsInCombine = true)]
internal sealed partial class ExpertMajorWeightedMoe;

[ExpertParallelLayer(Experts = 16, TopK = 5, HiddenSize = 64, MaxTokensPerRank = 40, Layout = EpLayout.ExpertMajor, ExpertAlignment = 4)]
internal sealed partial class ExpertMajorMoe;

[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 2048, MaxTokensPerRank = 24, Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor)]
internal sealed partial class LowLatencyMoe;

[ExpertParallelLayer(Experts = 16, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 40, ZeroCopy = true, ApplyWeightsInCombine = true)]
internal sealed partial class ZeroCopyMoe;

// Zero-copy with the expert-major layout (issue 6 asks for every HT layout with and without zero-copy).
[ExpertParallelLayer(Experts = 16, TopK = 3, HiddenSize = 64, MaxTokensPerRank = 40, Layout = EpLayout.ExpertMajor, ExpertAlignment = 4, ZeroCopy = true, ApplyWeightsInCombine = true)]
internal sealed partial class ZeroCopyExpertMajorMoe;

// Receive capacity equal to one rank's tokens: two ranks sending everything to rank 0 overflow it.
[ExpertParallelLayer(Experts = 16, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 40, RecvCapacityPerRank = 40)]
internal sealed partial class TightCapacityMoe;

// Enough tokens for the routing kernels' several tiles of whole tokens (a tile is 4096 / K tokens): K = 3 leaves the
// tile one word short of 4096, K = 8 fills it exactly.
[ExpertParallelLayer(Experts = 16, TopK = 3, HiddenSize = 64, MaxTokensPerRank = 3000, ApplyWeightsInCombine = true)]
internal sealed partial class ManyTokensMoe;

[ExpertParallelLayer(Experts = 32, TopK = 8, HiddenSize = 64, MaxTokensPerRank = 1200)]
internal sealed partial class ManyTokensTopEightMoe;

// More experts than a routing-record block tallies in shared memory at once (2048): its tallies take two turns, the
// second partial. 3000 / 4 = 750 local experts at four ranks; one rank (3000) is above NCCL EP's 1024, so Staged only.
[ExpertParallelLayer(Experts = 3000, TopK = 8, HiddenSize = 64, MaxTokensPerRank = 600)]
internal sealed partial class ManyExpertsMoe;

// A LowLatency layer with more tokens than one block of a captured step's routing check (256 per block).
[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 2048, MaxTokensPerRank = 600, Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor)]
internal sealed partial class ManyTokensLowLatencyMoe;

// Rows of 257 16-byte vectors: each of a weight-gradient dot's 32 lanes sums 8 or 9 of them (docs/semantics.md's order),
// where the small layers above leave most lanes empty.
[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 2056, MaxTokensPerRank = 40, ApplyWeightsInCombine = true)]
internal sealed partial class WideFlatWeightedMoe;

[ExpertParallelLayer(Experts = 16, TopK = 3, HiddenSize = 2056, MaxTokensPerRank = 40, Layout = EpLayout.ExpertMajor, ExpertAlignment = 8, ApplyWeightsInCombine = true)]
internal sealed partial class WideExpertMajorWeightedMoe;

/// <summary>The test layers by name, with the generator's spec and CUDA source.</summary>
internal static class TestLayers
{
    /// <summary>Every layout and weighting a whole step runs on (all but the capacity-overflow layer), in declaration order.</summary>
    public static IReadOnlyList<string> Steppable { get; } =
        [nameof(FlatMoe), nameof(FlatWeightedMoe), nameof(ExpertMajorWeightedMoe), nameof(ExpertMajorMoe), nameof(LowLatencyMoe), nameof(ZeroCopyMoe),
            nameof(ZeroCopyExpertMajorMoe)];

    /// <summary>Layers whose routing spans several tiles of the routing kernels, with the token count each rank sends.</summary>
    public static IReadOnlyList<(string Layer, int Tokens)> ManyTokens { get; } =
        [(nameof(ManyTokensMoe), 2999), (nameof(ManyTokensTopEightMoe), 1100)];

    /// <summary>Layers with more experts than the routing record tallies at once (the Staged engine only), with the token count each rank sends.</summary>
    public static IReadOnlyList<(string Layer, int Tokens)> ManyExperts { get; } = [(nameof(ManyExpertsMoe), 550)];

    /// <summary>Layers whose rows are wide enough for every lane of a weight-gradient dot (the same kernel on every GPU engine).</summary>
    public static IReadOnlyList<string> WideRows { get; } = [nameof(WideFlatWeightedMoe), nameof(WideExpertMajorWeightedMoe)];

    /// <summary>The HighThroughput ones among <see cref="Steppable"/> (the backward passes, zero-copy; NCCL EP HT).</summary>
    public static IReadOnlyList<string> HighThroughput { get; } = [.. Steppable.Where(n => n != nameof(LowLatencyMoe))];

    public static readonly IReadOnlyDictionary<string, (EpLayerSpec Spec, string Source)> All = new Dictionary<string, (EpLayerSpec, string)>
    {
        [nameof(FlatMoe)] = (FlatMoe.Spec, FlatMoe.KernelSource),
        [nameof(FlatWeightedMoe)] = (FlatWeightedMoe.Spec, FlatWeightedMoe.KernelSource),
        [nameof(ExpertMajorWeightedMoe)] = (ExpertMajorWeightedMoe.Spec, ExpertMajorWeightedMoe.KernelSource),
        [nameof(ExpertMajorMoe)] = (ExpertMajorMoe.Spec, ExpertMajorMoe.KernelSource),
        [nameof(LowLatencyMoe)] = (LowLatencyMoe.Spec, LowLatencyMoe.KernelSource),
        [nameof(ZeroCopyMoe)] = (ZeroCopyMoe.Spec, ZeroCopyMoe.KernelSource),
        [nameof(ZeroCopyExpertMajorMoe)] = (ZeroCopyExpertMajorMoe.Spec, ZeroCopyExpertMajorMoe.KernelSource),
        [nameof(TightCapacityMoe)] = (TightCapacityMoe.Spec, TightCapacityMoe.KernelSource),
        [nameof(ManyTokensMoe)] = (ManyTokensMoe.Spec, ManyTokensMoe.KernelSource),
        [nameof(ManyTokensTopEightMoe)] = (ManyTokensTopEightMoe.Spec, ManyTokensTopEightMoe.KernelSource),
        [nameof(ManyExpertsMoe)] = (ManyExpertsMoe.Spec, ManyExpertsMoe.KernelSource),
        [nameof(WideFlatWeightedMoe)] = (WideFlatWeightedMoe.Spec, WideFlatWeightedMoe.KernelSource),
        [nameof(WideExpertMajorWeightedMoe)] = (WideExpertMajorWeightedMoe.Spec, WideExpertMajorWeightedMoe.KernelSource),
    };
}
