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
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(FlatWeightedMoe)];
        Func<EpDevice, (int Rank, int Token, int Slot, long Value)[]> run = device => EpWorld.RunSimulated(2, device, group =>
        {
            using var layer = new EpLayerRuntime(group, spec, source, "FlatWeightedMoe");
            int t = 5, k = spec.TopK, h = spec.HiddenSize;
            // Valid routing: slot j of token i names expert 4j + i % 4 (distinct within a token).
            long[] ids = Enumerable.Range(0, t * k).Select(i => (long)((i % k) * 4 + i / k % 4)).ToArray();
            if (group.Rank == 0 && rank0Repeats)
            {
                ids[1 * k + 1] = ids[1 * k + 0];
            }

            if (group.Rank == 1)
            {
                ids[rank1Token * k + rank1Slot] = rank1Value;
            }

            using var tokens = DeviceTensor.Upload(device, new BFloat16[t * h], t, h);
            using var idx = DeviceTensor.Upload(device, ids, t, k);
            using var weights = DeviceTensor.Upload(device, new float[t * k], t, k);
            var error = Assert.Throws<EpRoutingException>(() => layer.Dispatch(tokens, idx, weights));
            return (error.Rank, error.Token, error.Slot, error.Value);
        });

        var reference = run(EpDevice.Cpu);
        var staged = run(EpDevice.Gpu(0));
        Assert.Equal(reference, staged);
        Assert.All(staged, e => Assert.Equal((expectedRank, expectedToken, expectedSlot, expectedValue), e));
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
