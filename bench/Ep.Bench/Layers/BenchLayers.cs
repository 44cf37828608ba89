using System;
using System.Collections.Generic;
using System.Linq;

namespace Ep.Bench.Layers;

// The configurations the benchmark runs. The generated CUDA source bakes a layer's constants in as #defines, so each
// configuration is a declared layer (the generator writes its Spec and KernelSource); tokens per rank can still be
// lowered at run time (--tokens). The large ones mirror NCCL EP ep_bench's defaults: hidden 7168, top-k 8, 256 experts,
// HT 4096 tokens per rank, LL 128.

[ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096)]
internal sealed partial class HtFlatBenchMoe;

[ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Layout = EpLayout.ExpertMajor)]
internal sealed partial class HtExpertMajorBenchMoe;

[ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, ZeroCopy = true)]
internal sealed partial class HtFlatZeroCopyBenchMoe;

// Eight ranks simulated on one GPU: every rank's worst-case buffers share the card, so fewer tokens per rank.
[ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 1024)]
internal sealed partial class HtFlatSharedGpuBenchMoe;

[ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 128, Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor)]
internal sealed partial class LowLatencyBenchMoe;

// Small enough for the CPU Reference engine (and for a quick smoke run of the others).
[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 256, MaxTokensPerRank = 128)]
internal sealed partial class SmallHtBenchMoe;

[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 2048, MaxTokensPerRank = 32, Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor)]
internal sealed partial class SmallLowLatencyBenchMoe;

/// <summary>One configuration the benchmark can run, by the name given to <c>--layer</c>.</summary>
/// <param name="Name">The <c>--layer</c> name.</param>
/// <param name="Spec">The layer's constants, from the generator.</param>
/// <param name="KernelSource">The layer's CUDA source, from the generator.</param>
/// <param name="Description">One line for <c>--list-layers</c>.</param>
/// <param name="SmallEnoughForReference">Whether the CPU Reference engine may run it in reasonable time.</param>
internal sealed record BenchLayer(string Name, EpLayerSpec Spec, string KernelSource, string Description, bool SmallEnoughForReference)
{
    /// <summary>The smallest world in which the layer's rules hold (HT ExpertMajor allows at most 64 local experts).</summary>
    public int MinimumRanks
    {
        get
        {
            for (int ranks = 1; ranks <= EpWorld.MaxSimulatedRanks; ranks++)
            {
                if (Spec.Experts % ranks == 0 && !EpLayerRules.HasErrors(EpLayerRules.Check(Spec, ranks)))
                {
                    return ranks;
                }
            }

            return int.MaxValue;
        }
    }

    /// <summary>"HT Flat", "HT ExpertMajor", "LL ExpertMajor", with " zero-copy" when it is.</summary>
    public string ModeText => (Spec.Algorithm == EpAlgorithm.LowLatency ? "LL " : "HT ") + Spec.Layout + (Spec.ZeroCopy ? " zero-copy" : string.Empty);
}

/// <summary>Every configuration, by name.</summary>
internal static class BenchLayers
{
    /// <summary>The default <c>--layer</c>.</summary>
    public const string DefaultName = "ht-flat";

    /// <summary>All layers in the order <c>--list-layers</c> prints them.</summary>
    public static readonly IReadOnlyList<BenchLayer> All =
    [
        new("ht-flat", HtFlatBenchMoe.Spec, HtFlatBenchMoe.KernelSource, "HT Flat, 4096 tokens/rank, hidden 7168, top-8, 256 experts (ep_bench --algorithm ht)", false),
        new("ht-em", HtExpertMajorBenchMoe.Spec, HtExpertMajorBenchMoe.KernelSource, "HT ExpertMajor, same sizes (ep_bench --algorithm ht --layout em); needs >= 4 ranks (at most 64 local experts)", false),
        new("ht-flat-zc", HtFlatZeroCopyBenchMoe.Spec, HtFlatZeroCopyBenchMoe.KernelSource, "HT Flat zero-copy (symmetric buffers; ep_bench --zcopy)", false),
        new("ht-flat-1k", HtFlatSharedGpuBenchMoe.Spec, HtFlatSharedGpuBenchMoe.KernelSource, "HT Flat, 1024 tokens/rank, same sizes otherwise: for 8 ranks simulated on one GPU (4096 needs ~10 GB of buffers per rank)", false),
        new("ll", LowLatencyBenchMoe.Spec, LowLatencyBenchMoe.KernelSource, "LL ExpertMajor, 128 tokens/rank, hidden 7168, top-8, 256 experts (ep_bench --algorithm ll)", false),
        new("small-ht", SmallHtBenchMoe.Spec, SmallHtBenchMoe.KernelSource, "HT Flat, 128 tokens/rank, hidden 256, top-4, 16 experts (Reference engine, smoke runs)", true),
        new("small-ll", SmallLowLatencyBenchMoe.Spec, SmallLowLatencyBenchMoe.KernelSource, "LL ExpertMajor, 32 tokens/rank, hidden 2048, top-4, 16 experts (Reference engine, smoke runs)", true),
    ];

    /// <summary>The layer called <paramref name="name"/>, or null.</summary>
    public static BenchLayer? Find(string name) => All.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>"ht-flat, ht-em, …" for messages.</summary>
    public static string Names => string.Join(", ", All.Select(l => l.Name));
}
