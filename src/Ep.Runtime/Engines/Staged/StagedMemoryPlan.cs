using System;

namespace Ep.Engines.Staged;

/// <summary>
/// The Staged engine's device memory per rank for one layer instance: every buffer <see cref="StagedLayerBuffers"/>
/// allocates, sized by the same <see cref="StagedBufferSizes"/> (the list of buffers is kept in step with that class by
/// hand; the benchmark prints the plan beside the measured footprint).
/// </summary>
internal static class StagedMemoryPlan
{
    public static EngineMemoryPlan Plan(EpLayerSpec spec, int ranks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        long h = spec.HiddenSize, k = spec.TopK, maxTokens = spec.MaxTokensPerRank;
        StagedBufferSizes sizes = StagedBufferSizes.Of(spec, ranks);
        long capacity = sizes.Capacity, sentRows = sizes.SentRows, pairRows = sizes.PairRows, layoutRows = sizes.LayoutRows;
        long rowsPerReceived = sizes.RowsPerReceived, layout = sizes.ExpertMajorRows, pairs = sizes.ExpertMajorPairs;
        bool expertMajor = sizes.ExpertMajor;

        return new PlannedBufferList()
            // Source side.
            .Add<long>("SourceIdx (2 generations)", 2 * maxTokens, k)
            .Add<float>("SourceWeights (2 generations)", 2 * maxTokens, k)
            .Add<int>("Positions (2 generations)", 2 * ranks * maxTokens)
            .Add<int>("PairPositions (2 generations)", 2 * ranks * maxTokens)
            .Add<long>("RouteRecord", StagedRouteRecord.AllocatedWords(ranks, spec.Experts))
            .Add<int>("SendOffsets", 2 * ranks)
            .Add<BFloat16>("SendRows", sentRows, h)
            .Add<long>("SendIdx", sentRows, k)
            .Add<float>("SendWeights", sentRows, k)
            .Add<BFloat16>("ReturnRows", maxTokens * k, h)
            .Add<float>("ReturnWeights", Math.Max(sentRows * k, maxTokens * k))
            .Add<BFloat16>("CombineOutput", maxTokens, h)
            .Add<BFloat16>("GradTokens", maxTokens, h)
            .Add<float>("GradTopkWeights", maxTokens, k)
            // Receive side.
            .Receive<BFloat16>("RecvRows", capacity, h)
            .Receive<long>("RecvIdx", capacity, k)
            .Receive<float>("RecvWeights", capacity, k)
            .Add<int>("RankInExpert", capacity * k)
            .Add<int>("RankTileCounts", StagedKernels.RankTiles(checked((int)capacity)), sizes.LocalExperts)
            .Add<int>("PermutedRow", capacity * k)
            .Add<int>("Layout (offsets, counts)", 2L * sizes.LocalExperts)
            .Add<BFloat16>("GradFlat", capacity, h)
            .Add<BFloat16>("Permuted", expertMajor ? 0 : pairRows, h)
            .Add<BFloat16>("Unpermuted", rowsPerReceived, h)
            .Add<BFloat16>("GradExpertOutput", layoutRows, h)
            .Add<BFloat16>("GradReceived", rowsPerReceived, h)
            .Add<float>("GradWeights", expertMajor ? layoutRows : capacity * k)
            // Expert-major layout.
            .Add<int>("PairStart", expertMajor ? capacity : 0)
            .Receive<int>("RowSource", layout)
            .Receive<int>("RowSlot", layout)
            .Receive<BFloat16>("LayoutRows", layout, h)
            .Receive<float>("LayoutWeights", layout)
            .Add<int>("FilledRows", sizes.LowLatency ? LowLatencyGroupPadding.TableRows : 0, sizes.LocalExperts)
            .Add<BFloat16>("GradLayout", layout, h)
            .Add<BFloat16>("PairRows", pairs, h)
            .Add<float>("PairWeights", pairs)
            .Build("Staged");
    }
}
