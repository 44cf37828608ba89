using Xunit;
using static Ep.Runtime.Tests.Reference.TestTensors;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// One small step worked out by hand. Two ranks, E = 4 (experts 0, 1 on rank 0; 2, 3 on rank 1), K = 2.
/// Rank 0 sends t0 = (1, 2) to experts [3, 0] with weights [0.5, 0.25], t1 = (3, 4) to nobody, t2 = (5, 6) to [1, −1]
/// with [0.75, 0]; rank 1 sends t0 = (7, 8) to [2, 3] with [0.125, 0.375]. The stand-in expert multiplies local expert
/// e's rows by e + 1.
/// </summary>
public sealed class HandComputedTests
{
    private const int H = 8;

    [Fact]
    public void Flat_unweighted_forward_delivers_and_sums_exact_rows()
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, Spec(EpLayout.Flat, weighted: false));
            (EpDispatchResult d, EpPermutedBatch batch) = DispatchAndPermute(layer, group.Rank, H);
            if (group.Rank == 0)
            {
                Assert.Equal(Expand(H, (1, 2), (5, 6)), Floats(d.Tokens));
                Assert.Equal(new long[] { 0, -1, 1, -1 }, d.TopkIdx!.ToArray());
                Assert.Equal(new float[] { 0.25f, 0, 0.75f, 0 }, d.TopkWeights.ToArray());
                Assert.Equal(new[] { 1, 1 }, d.ExpertCounts);
                Assert.Equal(new[] { 0, 1 }, d.ExpertOffsets);
                Assert.Equal(3, d.TokenCount);
                Assert.Equal(Expand(H, (1, 2), (5, 6)), Floats(batch.Tokens));
            }
            else
            {
                Assert.Equal(Expand(H, (1, 2), (7, 8)), Floats(d.Tokens));
                Assert.Equal(new long[] { 1, -1, 0, 1 }, d.TopkIdx!.ToArray());
                Assert.Equal(new float[] { 0.5f, 0, 0.125f, 0.375f }, d.TopkWeights.ToArray());
                Assert.Equal(new[] { 1, 2 }, d.ExpertCounts);
                Assert.Equal(new[] { 0, 1 }, d.ExpertOffsets);
                Assert.Equal(1, d.TokenCount);
                Assert.Equal(Expand(H, (7, 8), (1, 2), (7, 8)), Floats(batch.Tokens));
            }

            using DeviceTensor<BFloat16> expertOut = ScaleByExpert(batch, H);
            DeviceTensor<BFloat16> z = layer.Unpermute(batch, expertOut);
            DeviceTensor<BFloat16> y = layer.Combine(z);
            if (group.Rank == 0)
            {
                Assert.Equal(Expand(H, (1, 2), (10, 12)), Floats(z));
                Assert.Equal(Expand(H, (3, 6), (0, 0), (10, 12)), Floats(y));
            }
            else
            {
                Assert.Equal(Expand(H, (2, 4), (21, 24)), Floats(z));
                Assert.Equal(Expand(H, (21, 24)), Floats(y));
            }
        });
    }

    [Fact]
    public void Flat_weighted_step_matches_hand_computation_forward_and_backward()
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, Spec(EpLayout.Flat, weighted: true));
            (_, EpPermutedBatch batch) = DispatchAndPermute(layer, group.Rank, H);
            using DeviceTensor<BFloat16> expertOut = ScaleByExpert(batch, H);
            DeviceTensor<BFloat16> y = layer.Combine(layer.Unpermute(batch, expertOut));
            Assert.Equal(group.Rank == 0 ? Expand(H, (1.25f, 2.5f), (0, 0), (7.5f, 9)) : Expand(H, (6.125f, 7)), Floats(y));

            using var gradOut = group.Rank == 0 ? Pairs(H, (1, 1), (2, 2), (3, 3)) : Pairs(H, (4, 4));
            DeviceTensor<BFloat16> dz = layer.CombineBackward(gradOut);
            EpUnpermuteGradients u = layer.UnpermuteBackward(batch, expertOut, dz);
            DeviceTensor<BFloat16> dRecv = layer.PermuteBackward(batch, u.GradExpertOutput);
            EpDispatchGradients g = layer.DispatchBackward(dRecv, u.GradWeights);
            if (group.Rank == 0)
            {
                Assert.Equal(Expand(H, (1, 1), (3, 3)), Floats(dz));
                Assert.Equal(Expand(H, (0.25f, 0.25f), (2.25f, 2.25f)), Floats(u.GradExpertOutput));
                Assert.Equal(new float[] { 3, 0, 66, 0 }, u.GradWeights!.ToArray());
                Assert.Equal(Expand(H, (0.25f, 0.25f), (2.25f, 2.25f)), Floats(dRecv));
                Assert.Equal(Expand(H, (0.75f, 0.75f), (0, 0), (2.25f, 2.25f)), Floats(g.GradTokens));

                // Slot order is the caller's: t0 routed [3, 0], so its gradients are [⟨dOut, 4·x⟩... from rank 1, then rank 0's].
                Assert.Equal(new float[] { 6, 3, 0, 0, 66, 0 }, g.GradTopkWeights!.ToArray());
            }
            else
            {
                Assert.Equal(Expand(H, (1, 1), (4, 4)), Floats(dz));
                Assert.Equal(Expand(H, (0.5f, 0.5f), (0.5f, 0.5f), (1.5f, 1.5f)), Floats(u.GradExpertOutput));
                Assert.Equal(new float[] { 6, 0, 60, 120 }, u.GradWeights!.ToArray());
                Assert.Equal(Expand(H, (0.5f, 0.5f), (2, 2)), Floats(dRecv));
                Assert.Equal(Expand(H, (2, 2)), Floats(g.GradTokens));
                Assert.Equal(new float[] { 60, 120 }, g.GradTopkWeights!.ToArray());
            }
        });
    }

    [Fact]
    public void ExpertMajor_with_alignment_4_pads_groups_and_matches_flat_results()
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, Spec(EpLayout.ExpertMajor, weighted: true) with { ExpertAlignment = 4 });
            (EpDispatchResult d, EpPermutedBatch batch) = DispatchAndPermute(layer, group.Rank, H);
            Assert.Null(d.TopkIdx);
            Assert.Equal(8, d.RowCount);
            Assert.Same(d.Tokens, batch.Tokens);
            Assert.Equal(new[] { 0, 4 }, d.ExpertOffsets);
            Assert.Equal(new[] { 0, 4 }, batch.ExpertOffsets);
            if (group.Rank == 0)
            {
                Assert.Equal(Expand(H, (1, 2), (0, 0), (0, 0), (0, 0), (5, 6), (0, 0), (0, 0), (0, 0)), Floats(d.Tokens));
                Assert.Equal(new float[] { 0.25f, 0, 0, 0, 0.75f, 0, 0, 0 }, d.TopkWeights.ToArray());
                Assert.Equal(new[] { 1, 1 }, d.ExpertCounts);
            }
            else
            {
                Assert.Equal(Expand(H, (7, 8), (0, 0), (0, 0), (0, 0), (1, 2), (7, 8), (0, 0), (0, 0)), Floats(d.Tokens));
                Assert.Equal(new float[] { 0.125f, 0, 0, 0, 0.5f, 0.375f, 0, 0 }, d.TopkWeights.ToArray());
                Assert.Equal(new[] { 1, 2 }, d.ExpertCounts);
            }

            using DeviceTensor<BFloat16> expertOut = ScaleByExpert(batch, H);
            DeviceTensor<BFloat16> z = layer.Unpermute(batch, expertOut);
            DeviceTensor<BFloat16> y = layer.Combine(z);
            Assert.Equal(group.Rank == 0 ? Expand(H, (1.25f, 2.5f), (0, 0), (7.5f, 9)) : Expand(H, (6.125f, 7)), Floats(y));

            using var gradOut = group.Rank == 0 ? Pairs(H, (1, 1), (2, 2), (3, 3)) : Pairs(H, (4, 4));
            DeviceTensor<BFloat16> dz = layer.CombineBackward(gradOut);
            EpUnpermuteGradients u = layer.UnpermuteBackward(batch, expertOut, dz);
            DeviceTensor<BFloat16> dRecv = layer.PermuteBackward(batch, u.GradExpertOutput);
            EpDispatchGradients g = layer.DispatchBackward(dRecv, u.GradWeights);
            if (group.Rank == 0)
            {
                Assert.Equal(Expand(H, (0.25f, 0.5f), (0, 0), (0, 0), (0, 0), (7.5f, 9), (0, 0), (0, 0), (0, 0)), Floats(z));
                Assert.Equal(Expand(H, (1, 1), (0, 0), (0, 0), (0, 0), (3, 3), (0, 0), (0, 0), (0, 0)), Floats(dz));
                Assert.Equal(new float[] { 3, 0, 0, 0, 66, 0, 0, 0 }, u.GradWeights!.ToArray());
                Assert.Equal(Expand(H, (0.75f, 0.75f), (0, 0), (2.25f, 2.25f)), Floats(g.GradTokens));
                Assert.Equal(new float[] { 6, 3, 0, 0, 66, 0 }, g.GradTopkWeights!.ToArray());
            }
            else
            {
                Assert.Equal(Expand(H, (4, 4), (0, 0), (0, 0), (0, 0), (1, 1), (4, 4), (0, 0), (0, 0)), Floats(dz));
                Assert.Equal(Expand(H, (0.5f, 0.5f), (0, 0), (0, 0), (0, 0), (0.5f, 0.5f), (1.5f, 1.5f), (0, 0), (0, 0)), Floats(u.GradExpertOutput));
                Assert.Equal(new float[] { 60, 0, 0, 0, 6, 120, 0, 0 }, u.GradWeights!.ToArray());
                Assert.Equal(Floats(u.GradExpertOutput), Floats(dRecv));
                Assert.Equal(Expand(H, (2, 2)), Floats(g.GradTokens));
                Assert.Equal(new float[] { 60, 120 }, g.GradTopkWeights!.ToArray());
            }
        });
    }

    [Fact]
    public void LowLatency_uses_fixed_groups_and_a_weighted_combine()
    {
        const int h = 2048; // LowLatency supports NCCL EP LL's hidden sizes only.
        EpWorld.RunSimulated(2, group =>
        {
            var spec = Spec(EpLayout.ExpertMajor, weighted: false) with { Algorithm = EpAlgorithm.LowLatency, HiddenSize = h, MaxTokensPerRank = 4 };
            using var layer = Layer(group, spec);
            (EpDispatchResult d, EpPermutedBatch batch) = DispatchAndPermute(layer, group.Rank, h);

            // L × R × MaxTokensPerRank = 2 × 2 × 4 rows; expert e's group starts at e · 8.
            Assert.Equal(16, d.RowCount);
            Assert.Equal(new[] { 0, 8 }, d.ExpertOffsets);
            Assert.Same(d.Tokens, batch.Tokens);
            var expectedRows = new (float, float)[16];
            var expectedWeights = new float[16];
            if (group.Rank == 0)
            {
                (expectedRows[0], expectedWeights[0]) = ((1, 2), 0.25f);
                (expectedRows[8], expectedWeights[8]) = ((5, 6), 0.75f);
                Assert.Equal(new[] { 1, 1 }, d.ExpertCounts);
            }
            else
            {
                (expectedRows[0], expectedWeights[0]) = ((7, 8), 0.125f);
                (expectedRows[8], expectedWeights[8]) = ((1, 2), 0.5f);
                (expectedRows[9], expectedWeights[9]) = ((7, 8), 0.375f);
                Assert.Equal(new[] { 1, 2 }, d.ExpertCounts);
            }

            Assert.Equal(Expand(h, expectedRows), Floats(d.Tokens));
            Assert.Equal(expectedWeights, d.TopkWeights.ToArray());

            using DeviceTensor<BFloat16> expertOut = ScaleByExpert(batch, h);
            DeviceTensor<BFloat16> z = layer.Unpermute(batch, expertOut);
            Assert.Equal(Floats(expertOut), Floats(z));
            DeviceTensor<BFloat16> y = layer.Combine(z);
            Assert.Equal(group.Rank == 0 ? Expand(h, (1.25f, 2.5f), (0, 0), (7.5f, 9)) : Expand(h, (6.125f, 7)), Floats(y));

            using var gradOut = DeviceTensor<BFloat16>.Allocate(EpDevice.Cpu, d.TokenCount, h);
            var refused = Assert.Throws<System.NotSupportedException>(() => layer.CombineBackward(gradOut));
            Assert.Contains("inference-only", refused.Message, System.StringComparison.Ordinal);
            Assert.Throws<System.NotSupportedException>(() => layer.DispatchBackward(z, null));
        });
    }

    [Fact]
    public void A_rank_with_no_tokens_and_a_rank_that_receives_nothing_get_empty_results()
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, Spec(EpLayout.Flat, weighted: true));

            // Rank 0 routes only to its own experts; rank 1 sends no tokens at all.
            using var tokens = group.Rank == 0 ? Pairs(H, (1, 2), (3, 4)) : Pairs(H);
            using var ids = group.Rank == 0 ? Ids(2, 1, 0, -1, -1) : DeviceTensor<long>.FromArray([], 0, 2);
            using var weights = group.Rank == 0 ? Weights(2, 0.5f, 0.25f, 0, 0) : DeviceTensor<float>.FromArray([], 0, 2);
            EpDispatchResult d = layer.Dispatch(tokens, ids, weights);
            EpPermutedBatch batch = layer.Permute(d);
            Assert.Equal(group.Rank == 0 ? 1 : 0, d.RowCount);
            Assert.Equal(group.Rank == 0 ? new[] { 1, 1 } : new[] { 0, 0 }, d.ExpertCounts);
            using DeviceTensor<BFloat16> expertOut = ScaleByExpert(batch, H);
            DeviceTensor<BFloat16> y = layer.Combine(layer.Unpermute(batch, expertOut));

            // Rank 0, t0: 0.25 · 1 · (1, 2) + 0.5 · 2 · (1, 2) = (1.25, 2.5); t1 had no expert.
            Assert.Equal(group.Rank == 0 ? Expand(H, (1.25f, 2.5f), (0, 0)) : [], Floats(y));

            using var gradOut = group.Rank == 0 ? Pairs(H, (1, 0), (1, 1)) : Pairs(H);
            EpUnpermuteGradients u = layer.UnpermuteBackward(batch, expertOut, layer.CombineBackward(gradOut));
            EpDispatchGradients g = layer.DispatchBackward(layer.PermuteBackward(batch, u.GradExpertOutput), u.GradWeights);
            Assert.Equal(group.Rank == 0 ? Expand(H, (0.75f, 0), (0, 0)) : [], Floats(g.GradTokens));
            Assert.Equal(group.Rank == 0 ? new float[] { 2, 1, 0, 0 } : [], g.GradTopkWeights!.ToArray());
        });
    }

    internal static EpLayerSpec Spec(EpLayout layout, bool weighted) => new()
    {
        Experts = 4,
        TopK = 2,
        HiddenSize = H,
        MaxTokensPerRank = 3,
        Layout = layout,
        ApplyWeightsInCombine = weighted,
    };

    private static (EpDispatchResult, EpPermutedBatch) DispatchAndPermute(EpLayerRuntime layer, int rank, int h)
    {
        using var tokens = rank == 0 ? Pairs(h, (1, 2), (3, 4), (5, 6)) : Pairs(h, (7, 8));
        using var ids = rank == 0 ? Ids(2, 3, 0, -1, -1, 1, -1) : Ids(2, 2, 3);
        using var weights = rank == 0 ? Weights(2, 0.5f, 0.25f, 0, 0, 0.75f, 0) : Weights(2, 0.125f, 0.375f);
        EpDispatchResult d = layer.Dispatch(tokens, ids, weights);
        return (d, layer.Permute(d));
    }
}
