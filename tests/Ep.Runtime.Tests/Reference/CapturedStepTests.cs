using System;
using System.Collections.Generic;
using Xunit;
using static Ep.Runtime.Tests.Reference.TestTensors;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// <see cref="EpLayerRuntime.CaptureStep"/> on the Reference engine, where each replay runs the eager calls: the same
/// contract as the NcclEp engine's CUDA graph (tests/Ep.Gpu.Tests checks that one against this engine) — replays read
/// the input tensors again, a routing error surfaces from Wait, and the step refuses what would break the layer's state.
/// </summary>
public sealed class CapturedStepTests
{
    private const int H = 2048; // LowLatency supports NCCL EP LL's hidden sizes only.

    private static readonly EpLayerSpec LowLatency = HandComputedTests.Spec(EpLayout.ExpertMajor, weighted: false) with
    {
        Algorithm = EpAlgorithm.LowLatency,
        HiddenSize = H,
        MaxTokensPerRank = 4,
    };

    [Fact]
    public void Replays_match_the_eager_step_and_read_the_inputs_again()
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, LowLatency);
            using var tokens = group.Rank == 0 ? Pairs(H, (1, 2), (3, 4), (5, 6)) : Pairs(H, (7, 8));
            using var ids = group.Rank == 0 ? Ids(2, 3, 0, -1, -1, 1, -1) : Ids(2, 2, 3);
            using var weights = group.Rank == 0 ? Weights(2, 0.5f, 0.25f, 0, 0, 0.75f, 0) : Weights(2, 0.125f, 0.375f);
            var outputs = new List<DeviceTensor<BFloat16>>();
            var seenCounts = new List<int[]>();
            using EpCapturedStep step = layer.CaptureStep(tokens, ids, weights, rows =>
            {
                seenCounts.Add(rows.ExpertCounts.ToArray());
                DeviceTensor<BFloat16> output = ScaleGroups(rows);
                outputs.Add(output);
                return output;
            });

            Assert.False(step.IsGraph);
            Assert.Contains("Reference engine runs on the CPU", step.How, StringComparison.Ordinal);
            Assert.Equal(group.Rank == 0 ? 3 : 1, step.TokenCount);

            step.Replay();
            // The hand-computed step of HandComputedTests.LowLatency_uses_fixed_groups_and_a_weighted_combine.
            Assert.Equal(group.Rank == 0 ? Expand(H, (1.25f, 2.5f), (0, 0), (7.5f, 9)) : Expand(H, (6.125f, 7)), Floats(step.Wait()));
            Assert.Equal(group.Rank == 0 ? new[] { 1, 1 } : new[] { 1, 2 }, seenCounts[^1]);

            // New routing written into the same tensor: rank 0's token 0 now goes to expert 1 only (weight 0.5).
            if (group.Rank == 0)
            {
                ids.CopyFrom([1, -1, -1, -1, 1, -1]);
            }

            step.Replay();
            Assert.Equal(group.Rank == 0 ? Expand(H, (1, 2), (0, 0), (7.5f, 9)) : Expand(H, (6.125f, 7)), Floats(step.Wait()));
            Assert.Equal(group.Rank == 0 ? new[] { 0, 2 } : new[] { 1, 1 }, seenCounts[^1]);
            Assert.Equal(2, outputs.Count); // eager replays call the experts every time
            outputs.ForEach(o => o.Dispose());
        });
    }

    [Fact]
    public void A_bad_id_is_reported_by_Wait_on_every_rank_and_the_next_replay_runs()
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, LowLatency);
            using var tokens = Pairs(H, (1, 2));
            using var ids = group.Rank == 1 ? Ids(2, 0, 9) : Ids(2, 0, -1);
            using var weights = Weights(2, 1, 1);
            using EpCapturedStep step = layer.CaptureStep(tokens, ids, weights, rows => rows.Tokens);

            step.Replay(); // does not throw: errors come from Wait
            EpRoutingException error = Assert.Throws<EpRoutingException>(() => step.Wait());
            Assert.Equal((1, 0, 1, 9L), (error.Rank, error.Token, error.Slot, error.Value));
            Assert.Equal("topkIdx", error.ParamName);

            if (group.Rank == 1)
            {
                ids.CopyFrom([0, 1]);
            }

            step.Replay();
            Assert.Equal(1, step.Wait().Rows);
        });
    }

    [Fact]
    public void The_step_refuses_what_would_break_the_layer()
    {
        EpWorld.RunSimulated(1, group =>
        {
            using var layer = Layer(group, LowLatency);
            using var tokens = Pairs(H, (1, 2));
            using var ids = Ids(2, 0, 1);
            using var weights = Weights(2, 1, 1);

            // An eager step in flight: neither a capture nor a replay may start.
            EpDispatchResult d = layer.Dispatch(tokens, ids, weights);
            Assert.Throws<EpStateException>(() => layer.CaptureStep(tokens, ids, weights, rows => rows.Tokens));
            layer.Combine(d.Tokens);

            EpCapturedStep step = layer.CaptureStep(tokens, ids, weights, rows => rows.Tokens);
            Assert.Throws<EpStateException>(() => step.Wait()); // nothing replayed yet
            layer.Dispatch(tokens, ids, weights);
            Assert.Throws<EpStateException>(() => step.Replay());
            layer.Combine(layer.Dispatched("test").Tokens);

            // The experts must return one row per received row.
            using EpCapturedStep shortOutput = layer.CaptureStep(tokens, ids, weights, rows => rows.Tokens.SliceRows(0, 1));
            EpShapeException shape = Assert.Throws<EpShapeException>(() => shortOutput.Replay());
            Assert.Equal("experts", shape.ParamName);
            Assert.Equal((16L, 1L), (shape.Expected, shape.Actual)); // L × R × MaxTokensPerRank = 4 × 1 × 4

            layer.Dispose();
            Assert.Throws<ObjectDisposedException>(() => step.Replay()); // the layer disposed its captured steps
        });
    }

    /// <summary>
    /// A HighThroughput step replays Dispatch, Permute, the experts, Unpermute and Combine: the hand-computed weighted
    /// step of <see cref="HandComputedTests"/>, then new routing written into the same tensors. The experts find their
    /// groups by the device offsets (ExpertMajor with alignment 4: group 1 starts at row 4).
    /// </summary>
    [Theory]
    [InlineData(EpLayout.Flat, 1)]
    [InlineData(EpLayout.ExpertMajor, 4)]
    public void HighThroughput_replays_permute_and_unpermute_around_the_experts(EpLayout layout, int alignment)
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, HandComputedTests.Spec(layout, weighted: true) with { ExpertAlignment = alignment });
            using var tokens = group.Rank == 0 ? Pairs(8, (1, 2), (3, 4), (5, 6)) : Pairs(8, (7, 8));
            using var ids = group.Rank == 0 ? Ids(2, 3, 0, -1, -1, 1, -1) : Ids(2, 2, 3);
            using var weights = group.Rank == 0 ? Weights(2, 0.5f, 0.25f, 0, 0, 0.75f, 0) : Weights(2, 0.125f, 0.375f);
            var seen = new List<(int[] Counts, int[] Offsets, int Rows)>();
            using EpCapturedStep step = layer.CaptureStep(tokens, ids, weights, rows =>
            {
                seen.Add((rows.ExpertCounts.ToArray(), rows.ExpertOffsets.ToArray(), rows.Tokens.Rows));
                return ScaleGroupsAt(rows, 8);
            });

            Assert.False(step.IsGraph);
            step.Replay();
            Assert.Equal(group.Rank == 0 ? Expand(8, (1.25f, 2.5f), (0, 0), (7.5f, 9)) : Expand(8, (6.125f, 7)), Floats(step.Wait()));
            Assert.Equal(group.Rank == 0 ? new[] { 1, 1 } : new[] { 1, 2 }, seen[^1].Counts);
            Assert.Equal(new[] { 0, alignment == 4 ? 4 : 1 }, seen[^1].Offsets);
            Assert.Equal(layout == EpLayout.Flat ? (group.Rank == 0 ? 2 : 3) : 8, seen[^1].Rows);

            // Rank 0's token 0 now goes to expert 1 only (weight 0.5, expert 1 doubles): (1, 2).
            if (group.Rank == 0)
            {
                ids.CopyFrom([1, -1, -1, -1, 1, -1]);
            }

            step.Replay();
            Assert.Equal(group.Rank == 0 ? Expand(8, (1, 2), (0, 0), (7.5f, 9)) : Expand(8, (6.125f, 7)), Floats(step.Wait()));
            Assert.Equal(group.Rank == 0 ? new[] { 0, 2 } : new[] { 1, 1 }, seen[^1].Counts);
        });
    }

    /// <summary>
    /// A training step replays the eager forward and backward calls: each replay's combined rows, token gradients and
    /// weight gradients equal those of the same step run eagerly on another instance of the layer, bit for bit, with
    /// experts that scale local expert e's rows by e + 1 (so their backward scales the gradient the same way).
    /// </summary>
    [Theory]
    [InlineData(EpLayout.Flat, 1, true)]
    [InlineData(EpLayout.Flat, 1, false)]
    [InlineData(EpLayout.ExpertMajor, 4, true)]
    public void A_training_step_replays_the_eager_forward_and_backward(EpLayout layout, int alignment, bool weighted)
    {
        EpWorld.RunSimulated(2, group =>
        {
            EpLayerSpec spec = HandComputedTests.Spec(layout, weighted) with { ExpertAlignment = alignment };
            using var layer = Layer(group, spec);
            using var eager = Layer(group, spec);
            using var tokens = group.Rank == 0 ? Pairs(8, (1, 2), (3, 4), (5, 6)) : Pairs(8, (7, 8));
            using var ids = group.Rank == 0 ? Ids(2, 3, 0, -1, -1, 1, -1) : Ids(2, 2, 3);
            using var weights = group.Rank == 0 ? Weights(2, 0.5f, 0.25f, 0, 0, 0.75f, 0) : Weights(2, 0.125f, 0.375f);
            using var gradOutput = group.Rank == 0 ? Pairs(8, (0.5f, -1), (2, 3), (-0.25f, 4)) : Pairs(8, (1.5f, 0.75f));
            using EpCapturedStep step = layer.CaptureTrainingStep(tokens, ids, weights, rows => ScaleGroupsAt(rows, 8), combined => gradOutput,
                rows => ScaleGroupsAt(rows, 8));
            Assert.True(step.IsTraining);

            foreach (long[]? rank0Ids in new long[]?[] { null, [1, -1, -1, -1, 1, -1] })
            {
                if (rank0Ids is not null && group.Rank == 0)
                {
                    ids.CopyFrom(rank0Ids);
                }

                step.Replay();
                float[] combined = Floats(step.Wait());
                EpDispatchGradients replayed = step.WaitGradients();

                EpDispatchResult d = eager.Dispatch(tokens, ids, weights);
                EpPermutedBatch batch = eager.Permute(d);
                DeviceTensor<BFloat16> expertOutput = Scaled(batch.Tokens, batch.ExpertCounts, batch.ExpertOffsets, 8);
                Assert.Equal(Floats(eager.Combine(eager.Unpermute(batch, expertOutput))), combined);
                EpUnpermuteGradients u = eager.UnpermuteBackward(batch, expertOutput, eager.CombineBackward(gradOutput));
                DeviceTensor<BFloat16> gradExpertInput = Scaled(u.GradExpertOutput, batch.ExpertCounts, batch.ExpertOffsets, 8);
                EpDispatchGradients expected = eager.DispatchBackward(eager.PermuteBackward(batch, gradExpertInput), u.GradWeights);

                Assert.Equal(Floats(expected.GradTokens), Floats(replayed.GradTokens));
                Assert.Contains(Floats(replayed.GradTokens), v => v != 0);
                Assert.Equal(weighted, replayed.GradTopkWeights is not null);
                if (weighted)
                {
                    Assert.Equal(expected.GradTopkWeights!.ToArray(), replayed.GradTopkWeights!.ToArray());
                    Assert.Contains(replayed.GradTopkWeights!.ToArray(), v => v != 0);
                }
            }
        });
    }

    [Fact]
    public void A_training_step_refuses_LowLatency_layers_forward_steps_and_a_misshapen_gradient()
    {
        EpWorld.RunSimulated(1, group =>
        {
            using var tokens = Pairs(H, (1, 2));
            using var ids = Ids(2, 0, 1);
            using var weights = Weights(2, 1, 1);
            using (var lowLatency = Layer(group, LowLatency))
            {
                Assert.Throws<NotSupportedException>(() => lowLatency.CaptureTrainingStep(tokens, ids, weights, rows => rows.Tokens, g => g, rows => rows.Tokens));
                using EpCapturedStep forward = lowLatency.CaptureStep(tokens, ids, weights, rows => rows.Tokens);
                Assert.False(forward.IsTraining);
                forward.Replay();
                Assert.Throws<EpStateException>(() => forward.WaitGradients());
            }

            using var layer = Layer(group, HandComputedTests.Spec(EpLayout.Flat, weighted: true) with { HiddenSize = H });
            using var noRows = Pairs(H);
            using EpCapturedStep step = layer.CaptureTrainingStep(tokens, ids, weights, rows => rows.Tokens, combined => noRows, rows => rows.Tokens);
            EpShapeException shape = Assert.Throws<EpShapeException>(() => step.Replay());
            Assert.Equal("outputGradient", shape.ParamName);
            Assert.Equal((1L, 0L), (shape.Expected, shape.Actual));
        });
    }

    /// <summary>Whether the NcclEp engine can make a graph of a layer's step: HighThroughput needs dropless receive buffers.</summary>
    [Fact]
    public void NcclEp_graphs_need_a_dropless_receive_capacity_in_HighThroughput()
    {
        EpLayerSpec flat = HandComputedTests.Spec(EpLayout.Flat, weighted: true);
        Assert.Null(Ep.Engines.NcclEp.NcclEpLayer.CaptureRefusal(flat, ranks: 2));
        Assert.Null(Ep.Engines.NcclEp.NcclEpLayer.CaptureRefusal(flat with { RecvCapacityPerRank = 2 * flat.MaxTokensPerRank }, ranks: 2));
        Assert.Null(Ep.Engines.NcclEp.NcclEpLayer.CaptureRefusal(LowLatency, ranks: 2));
        string? why = Ep.Engines.NcclEp.NcclEpLayer.CaptureRefusal(flat with { RecvCapacityPerRank = 2 * flat.MaxTokensPerRank - 1 }, ranks: 2);
        Assert.NotNull(why);
        Assert.StartsWith(FormattableString.Invariant($"RecvCapacityPerRank = {2 * flat.MaxTokensPerRank - 1} is below Ranks × MaxTokensPerRank = {2 * flat.MaxTokensPerRank}"), why, StringComparison.Ordinal);
    }

    /// <summary>Stand-in experts that find each group by the device offsets: local expert e scales its rows by e + 1; other rows are zero.</summary>
    private static DeviceTensor<BFloat16> ScaleGroupsAt(EpStepRows rows, int h) => Scaled(rows.Tokens, rows.ExpertCounts.ToArray(), rows.ExpertOffsets.ToArray(), h);

    /// <summary>Local expert e's rows of <paramref name="rows"/> (by the counts and offsets) scaled by e + 1; other rows zero.</summary>
    private static DeviceTensor<BFloat16> Scaled(DeviceTensor<BFloat16> rows, IReadOnlyList<int> counts, IReadOnlyList<int> offsets, int h)
    {
        float[] values = Floats(rows);
        var output = new float[values.Length];
        for (int e = 0; e < counts.Count; e++)
        {
            for (int m = offsets[e]; m < offsets[e] + counts[e]; m++)
            {
                for (int c = 0; c < h; c++)
                {
                    output[m * h + c] = (e + 1) * values[m * h + c];
                }
            }
        }

        return Bf(output, rows.Rows, h);
    }

    /// <summary>The stand-in experts of <see cref="TestTensors.ScaleByExpert"/> on a step's fixed groups: local expert e scales its real rows by e + 1.</summary>
    private static DeviceTensor<BFloat16> ScaleGroups(EpStepRows rows)
    {
        float[] values = Floats(rows.Tokens);
        int[] counts = rows.ExpertCounts.ToArray();
        var output = new float[values.Length];
        for (int e = 0; e < counts.Length; e++)
        {
            for (int m = e * rows.GroupRows; m < e * rows.GroupRows + counts[e]; m++)
            {
                for (int c = 0; c < H; c++)
                {
                    output[m * H + c] = (e + 1) * values[m * H + c];
                }
            }
        }

        return Bf(output, rows.Tokens.Rows, H);
    }
}
