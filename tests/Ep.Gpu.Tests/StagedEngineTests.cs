using System;
using System.Collections.Generic;
using System.Linq;
using Ep.Engines.Staged;
using Ep.Kernels;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>
/// The Staged engine (ranks simulated on one GPU) against the Reference engine, operation by operation
/// (docs/semantics.md): bit-identical for copies, at most one bf16 ulp for sums, and the same errors.
/// </summary>
public sealed class StagedEngineTests
{
    static StagedEngineTests()
    {
        // Every output buffer is filled with NaN before an operation writes it, so a row a kernel skips fails the comparison.
        StagedLayer.PoisonOutputs = true;
    }

    public static TheoryData<string, int> Worlds()
    {
        var data = new TheoryData<string, int>();
        foreach (string layer in TestLayers.Steppable)
        {
            foreach (int ranks in new[] { 1, 2, 4, 8 })
            {
                data.Add(layer, ranks);
            }
        }

        return data;
    }

    [GpuTheory]
    [MemberData(nameof(Worlds))]
    public void Every_operation_matches_the_reference_engine_and_repeats_bit_for_bit(string layerName, int ranks)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks, seed: 100 * ranks + layerName.Length, noTokens: false);

        StepRecord[] reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        StepRecord[][] staged = StagedStep.RunSimulatedWorld(EpDevice.Gpu(0), spec, source, problem, steps: 2);

        for (int rank = 0; rank < ranks; rank++)
        {
            StepAssert.Matches(reference[rank], staged[rank][0], $"{layerName}, {ranks} ranks, rank {rank}");
            StepAssert.Identical(staged[rank][0], staged[rank][1], $"{layerName}, {ranks} ranks, rank {rank}, second step");
        }
    }

    public static TheoryData<string, int, int> ManyTokenWorlds()
    {
        var data = new TheoryData<string, int, int>();
        foreach ((string layer, int tokens) in TestLayers.ManyTokens.Concat(TestLayers.ManyExperts))
        {
            data.Add(layer, tokens, 1);
            data.Add(layer, tokens, 4);
        }

        return data;
    }

    /// <summary>
    /// Routing that spans several tiles of the routing kernels: validation, the destination scan's running positions
    /// and the expert counts all carry from one tile to the next, and the last tile is partial; and routing over more
    /// experts than the routing record's blocks tally at once.
    /// </summary>
    [GpuTheory]
    [MemberData(nameof(ManyTokenWorlds))]
    public void Routing_across_several_tiles_matches_the_reference_engine(string layerName, int tokens, int ranks)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks, seed: 31 * ranks + tokens, noTokens: false, tokens: tokens);

        StepRecord[] reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        StepRecord[] staged = StagedStep.RunSimulatedWorld(EpDevice.Gpu(0), spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        for (int rank = 0; rank < ranks; rank++)
        {
            StepAssert.Matches(reference[rank], staged[rank], $"{layerName}, {tokens} tokens, {ranks} ranks, rank {rank}");
        }
    }

    /// <summary>
    /// Combine and DispatchBackward with several tokens per <c>ep_combine_tokens</c> block (the engine picks that
    /// from 4096 tokens on), including a last block with fewer tokens than the others and a rank without tokens.
    /// </summary>
    [GpuTheory]
    [InlineData(nameof(FlatWeightedMoe), 2, 2)]
    [InlineData(nameof(ExpertMajorWeightedMoe), 2, 4)]
    [InlineData(nameof(LowLatencyMoe), 2, 3)]
    [InlineData(nameof(ManyTokensMoe), 4, 8)]
    public void Several_tokens_per_combine_block_match_the_reference_engine(string layerName, int ranks, int tokensPerBlock)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks, seed: 17 * tokensPerBlock + layerName.Length, noTokens: false);

        StepRecord[] reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        StepRecord[] staged;
        StagedKernels.CombineTokensPerBlockOverride = tokensPerBlock;
        try
        {
            staged = StagedStep.RunSimulatedWorld(EpDevice.Gpu(0), spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        }
        finally
        {
            StagedKernels.CombineTokensPerBlockOverride = null;
        }

        for (int rank = 0; rank < ranks; rank++)
        {
            StepAssert.Matches(reference[rank], staged[rank], $"{layerName}, {tokensPerBlock} tokens per block, rank {rank}");
        }
    }

    /// <summary>
    /// LowLatency clears only the rows of each group that the previous step filled and this one does not. With outputs
    /// not poisoned (so the tracking is what keeps the padding zero), a step that crowds every token into experts
    /// 0..K−1, then a random one, must match the Reference engine's second step bit for bit, padding included.
    /// </summary>
    [GpuFact]
    public void Low_latency_keeps_unused_rows_zero_after_a_step_that_filled_more_rows()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(LowLatencyMoe)];
        const int ranks = 2;
        var crowded = new StepProblem(spec, ranks, seed: 40, noTokens: false, tokens: spec.MaxTokensPerRank);
        foreach (long[] idx in crowded.Idx)
        {
            for (int i = 0; i < idx.Length; i++)
            {
                idx[i] = i % spec.TopK;
            }
        }

        var problem = new StepProblem(spec, ranks, seed: 41, noTokens: false);
        StepRecord[] reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1).Select(r => r[0]).ToArray();

        StepRecord[] staged;
        StagedLayer.PoisonOutputs = false;
        try
        {
            staged = EpWorld.RunSimulated(ranks, EpDevice.Gpu(0), group =>
            {
                using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
                StagedStep.Run(group, layer, crowded, steps: 1);
                return StagedStep.Run(group, layer, problem, steps: 1)[0];
            });
        }
        finally
        {
            StagedLayer.PoisonOutputs = true;
        }

        Assert.True(reference[0].Integers["dispatch.counts"][0] < spec.MaxTokensPerRank, "the second step must vacate rows of expert 0's group");
        for (int rank = 0; rank < ranks; rank++)
        {
            StepAssert.Matches(reference[rank], staged[rank], $"LowLatency after a crowded step, rank {rank}");
        }
    }

    public static TheoryData<string, int> WideRowWorlds()
    {
        var data = new TheoryData<string, int>();
        foreach (string layer in TestLayers.WideRows)
        {
            data.Add(layer, 1);
            data.Add(layer, 4);
        }

        return data;
    }

    /// <summary>
    /// Weight gradients of rows wide enough that every lane of a dot sums several vectors: bit for bit the Reference
    /// engine's (<see cref="StepAssert.Matches"/> compares them exactly), and not all zero.
    /// </summary>
    [GpuTheory]
    [MemberData(nameof(WideRowWorlds))]
    public void Weight_gradients_of_wide_rows_match_the_reference_engine_bit_for_bit(string layerName, int ranks)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks, seed: 23 * ranks + layerName.Length, noTokens: false);

        StepRecord[] reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        StepRecord[] staged = StagedStep.RunSimulatedWorld(EpDevice.Gpu(0), spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        for (int rank = 0; rank < ranks; rank++)
        {
            Assert.Contains(reference[rank].Floats["unpermuteBackward.weights"], w => w != 0f);
            StepAssert.Matches(reference[rank], staged[rank], $"{layerName}, {ranks} ranks, rank {rank}");
        }
    }

    [GpuTheory]
    [InlineData(nameof(FlatWeightedMoe), 4)]
    [InlineData(nameof(ExpertMajorWeightedMoe), 2)]
    [InlineData(nameof(LowLatencyMoe), 2)]
    public void A_step_without_tokens_matches_the_reference_engine(string layerName, int ranks)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks, seed: 5, noTokens: true);

        StepRecord[] reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        StepRecord[] staged = StagedStep.RunSimulatedWorld(EpDevice.Gpu(0), spec, source, problem, steps: 1).Select(r => r[0]).ToArray();
        for (int rank = 0; rank < ranks; rank++)
        {
            StepAssert.Matches(reference[rank], staged[rank], $"{layerName}, no tokens, rank {rank}");
        }
    }

    [GpuFact]
    public void Capacity_overflow_throws_the_reference_exception_and_leaves_the_previous_step()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(TightCapacityMoe)];
        Func<EpDevice, (long Needed, long Available, int Rank, ushort[] Before, ushort[] After)[]> run = device => EpWorld.RunSimulated(2, device, group =>
        {
            using var layer = new EpLayerRuntime(group, spec, source, "TightCapacityMoe");
            int t = 30, k = spec.TopK, h = spec.HiddenSize;
            using var tokens = DeviceTensor.Upload(device, StepProblem.RandomRows(new Random(group.Rank), t * h), t, h);
            using var weights = DeviceTensor.Upload(device, Enumerable.Repeat(0.5f, t * k).ToArray(), t, k);
            // First step: each token to one expert of its own rank (fits). Second: every token to rank 0 (60 > 40 rows).
            using var fits = DeviceTensor.Upload(device, Enumerable.Range(0, t * k).Select(i => i % k == 0 ? 8L * group.Rank + i / k % 8 : -1L).ToArray(), t, k);
            using var overflows = DeviceTensor.Upload(device, Enumerable.Range(0, t * k).Select(i => i % k == 0 ? (long)(i / k % 8) : -1L).ToArray(), t, k);
            EpDispatchResult first = layer.Dispatch(tokens, fits, weights);
            layer.Combine(layer.Unpermute(layer.Permute(first), first.Tokens));
            ushort[] before = first.Tokens.ToArray().Select(v => v.RawBits).ToArray();
            var error = Assert.Throws<EpCapacityException>(() => layer.Dispatch(tokens, overflows, weights));
            ushort[] after = first.Tokens.ToArray().Select(v => v.RawBits).ToArray();
            return (error.NeededRows, error.AvailableRows, error.Rank, before, after);
        });

        var reference = run(EpDevice.Cpu);
        var staged = run(EpDevice.Gpu(0));
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.Equal((reference[rank].Needed, reference[rank].Available, reference[rank].Rank), (staged[rank].Needed, staged[rank].Available, staged[rank].Rank));
            Assert.Equal(staged[rank].Before, staged[rank].After);
        }

        Assert.Equal((60L, 40L, 0), (staged[0].Needed, staged[0].Available, staged[0].Rank));
    }

    [GpuTheory]
    [InlineData(true, 3, 2, 16L, 0, 1, 1, 1L)]   // rank 0 names expert 1 twice in token 1 (slots 0 and 1): lowest rank wins
    [InlineData(false, 3, 2, 16L, 1, 3, 2, 16L)] // only rank 1's id 16 (E = 16) at token 3, slot 2
    [InlineData(false, 0, 0, -2L, 1, 0, 0, -2L)] // an id below −1
    public void Bad_routing_is_found_on_the_device_and_reported_like_the_reference(bool rank0Repeats, int rank1Token, int rank1Slot,
        long rank1Value, int expectedRank, int expectedToken, int expectedSlot, long expectedValue)
    {
        const int t = 5;
        long[] IdsOf(int rank, int k)
        {
            // Valid routing: slot j of token i names expert 4j + i % 4 (distinct within a token).
            long[] ids = Enumerable.Range(0, t * k).Select(i => (long)((i % k) * 4 + i / k % 4)).ToArray();
            if (rank == 0 && rank0Repeats)
            {
                ids[1 * k + 1] = ids[1 * k + 0];
            }

            if (rank == 1)
            {
                ids[rank1Token * k + rank1Slot] = rank1Value;
            }

            return ids;
        }

        var reference = RoutingErrors(EpDevice.Cpu, nameof(FlatWeightedMoe), t, IdsOf);
        var staged = RoutingErrors(EpDevice.Gpu(0), nameof(FlatWeightedMoe), t, IdsOf);
        Assert.Equal(reference, staged);
        Assert.All(staged, e => Assert.Equal((expectedRank, expectedToken, expectedSlot, expectedValue), e));
    }

    /// <summary>Stands for "the id of slot 0 of the same token" in the cases below (a repeated expert).</summary>
    private const long RepeatSlotZero = long.MaxValue;

    /// <summary>
    /// Bad entries far into a long table (2999 tokens; the destination scan reads tiles of 1365 tokens at K = 3, and
    /// a tiled validation was tried): the lowest (token, slot) wins, and a repeat is found against the earlier slots
    /// of its own token, at tile boundaries too.
    /// </summary>
    [GpuTheory]
    [InlineData(1365, 0, 16L, -1, 0, 0L, 1365, 0)]                 // the second tile's first word
    [InlineData(2998, 2, RepeatSlotZero, -1, 0, 0L, 2998, 2)]      // a repeat in the partial last tile
    [InlineData(2800, 0, 99L, 1400, 2, RepeatSlotZero, 1400, 2)]  // two bad entries, the lower in an earlier tile
    [InlineData(1365, 0, -7L, 1364, 2, RepeatSlotZero, 1364, 2)]   // the last token of one tile against the first of the next
    public void Bad_routing_in_a_later_tile_is_reported_like_the_reference(int tokenA, int slotA, long valueA, int tokenB, int slotB,
        long valueB, int expectedToken, int expectedSlot)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(ManyTokensMoe)];
        int t = 2999, k = spec.TopK, h = spec.HiddenSize;
        // Valid routing: slot j of token i names expert (5j + i) mod 16 (distinct within a token).
        long[] Valid() => [.. Enumerable.Range(0, t * k).Select(i => (long)((i % k * 5 + i / k) % 16))];
        long[] ids = Valid();
        foreach ((int token, int slot, long value) in new[] { (tokenA, slotA, valueA), (tokenB, slotB, valueB) })
        {
            if (token >= 0)
            {
                ids[token * k + slot] = value == RepeatSlotZero ? ids[token * k] : value;
            }
        }

        long expectedValue = ids[expectedToken * k + expectedSlot];
        // Rank 0's routing is valid; rank 1's has the bad entries.
        var reference = RoutingErrors(EpDevice.Cpu, nameof(ManyTokensMoe), t, (rank, _) => rank == 1 ? ids : Valid());
        var staged = RoutingErrors(EpDevice.Gpu(0), nameof(ManyTokensMoe), t, (rank, _) => rank == 1 ? ids : Valid());
        Assert.Equal(reference, staged);
        Assert.All(staged, e => Assert.Equal((1, expectedToken, expectedSlot, expectedValue), e));
    }

    /// <summary>
    /// The routing error every rank of a two-rank world throws from Dispatch on <paramref name="device"/>, each rank
    /// sending <paramref name="tokens"/> tokens routed by <paramref name="idsOf"/>(rank, K).
    /// </summary>
    private static (int Rank, int Token, int Slot, long Value)[] RoutingErrors(EpDevice device, string layerName, int tokens,
        Func<int, int, long[]> idsOf)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        return EpWorld.RunSimulated(2, device, group =>
        {
            using var layer = new EpLayerRuntime(group, spec, source, layerName);
            int k = spec.TopK, h = spec.HiddenSize;
            using var rows = DeviceTensor.Upload(device, new BFloat16[tokens * h], tokens, h);
            using var idx = DeviceTensor.Upload(device, idsOf(group.Rank, k), tokens, k);
            using var weights = DeviceTensor.Upload(device, new float[tokens * k], tokens, k);
            var error = Assert.Throws<EpRoutingException>(() => layer.Dispatch(rows, idx, weights));
            return (error.Rank, error.Token, error.Slot, error.Value);
        });
    }

    [GpuTheory]
    [InlineData("sm_80")]
    [InlineData("sm_90")]
    public void Generated_source_of_every_test_layer_compiles_with_nvrtc(string architecture)
    {
        foreach ((string name, (EpLayerSpec _, string source)) in TestLayers.All)
        {
            byte[] cubin = NvrtcCompiler.Compile(source, name + ".cu", architecture);
            Assert.NotEmpty(cubin);
        }
    }
}
