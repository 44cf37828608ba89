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
    private static DeviceTensor<BFloat16> ScaleGroupsAt(EpStepRows rows, int h)
    {
        float[] values = Floats(rows.Tokens);
        int[] counts = rows.ExpertCounts.ToArray(), offsets = rows.ExpertOffsets.ToArray();
        var output = new float[values.Length];
        for (int e = 0; e < counts.Length; e++)
        {
            for (int m = offsets[e]; m < offsets[e] + counts[e]; m++)
            {
                for (int c = 0; c < h; c++)
                {
                    output[m * h + c] = (e + 1) * values[m * h + c];
                }
            }
        }

        return Bf(output, rows.Tokens.Rows, h);
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
