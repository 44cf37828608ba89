using System;
using System.Linq;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>
/// The Staged engine over a real NCCL communicator of one rank (one process, GPU 0) against the Reference engine with
/// one rank: the routing AllGather, the grouped send/recv exchange (to self) and the failure paths of the transport
/// that runs across processes, on a machine with one GPU. Outputs are poisoned before every operation.
/// </summary>
public sealed class StagedNcclEngineTests
{
    static StagedNcclEngineTests()
    {
        // Every output buffer is filled with NaN before an operation writes it, so a row the exchange skips fails the comparison.
        StagedLayer.PoisonOutputs = true;
    }

    public static TheoryData<string> Layers() =>
        new(TestLayers.Steppable);

    [GpuFact]
    public void The_group_runs_the_staged_engine_over_nccl()
    {
        using EpGroup group = NcclSingleRankGroup.Create(EpDevice.Gpu(0));
        Assert.Equal(EpEngineKind.Staged, group.EngineKind);
        Assert.Equal((0, 1), (group.Rank, group.WorldSize));
        Assert.Contains("NCCL", group.EngineReason, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage(group.EngineReason);
    }

    [GpuTheory]
    [MemberData(nameof(Layers))]
    public void Every_operation_matches_the_reference_engine_and_repeats_bit_for_bit(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks: 1, seed: 7 + layerName.Length, noTokens: false);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord[] nccl = RunNccl(spec, source, problem, steps: 2);

        StepAssert.Matches(reference, nccl[0], $"{layerName} over NCCL");
        StepAssert.Identical(nccl[0], nccl[1], $"{layerName} over NCCL, second step");
    }

    [GpuTheory]
    [MemberData(nameof(Layers))]
    public void A_step_without_tokens_matches_the_reference_engine(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks: 1, seed: 5, noTokens: true);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord[] nccl = RunNccl(spec, source, problem, steps: 2);

        StepAssert.Matches(reference, nccl[0], $"{layerName} over NCCL, no tokens");
        StepAssert.Matches(reference, nccl[1], $"{layerName} over NCCL, no tokens, second step");
    }

    /// <summary>
    /// One rank cannot overflow a valid layer (EP0009 makes the capacity at least one rank's tokens), so this test
    /// lowers the capacity below that rule and drives the engines' layers directly, past <see cref="EpLayerRuntime"/>'s
    /// rule check: 20 rows fit, 30 overflow. After the error the same layer runs a good step again (the communicator
    /// is still healthy: the error was agreed, not a failure).
    /// </summary>
    [GpuFact]
    public void Capacity_overflow_throws_the_reference_exception_and_leaves_the_previous_step()
    {
        (EpLayerSpec tight, string source) = TestLayers.All[nameof(TightCapacityMoe)];
        EpLayerSpec spec = tight with { RecvCapacityPerRank = 20 };
        Func<EpGroup, (long Needed, long Available, int Rank, ushort[] Before, ushort[] After, ushort[] Again)> run = group =>
        {
            using IEpLayerEngine layer = group.Engine.CreateLayer(spec, source, "TightCapacityMoe");
            EpDevice device = group.Device;
            int k = spec.TopK, h = spec.HiddenSize;
            using var fitTokens = DeviceTensor.Upload(device, StepProblem.RandomRows(new Random(1), 20 * h), 20, h);
            using var fitIdx = DeviceTensor.Upload(device, OneExpertPerToken(20, k), 20, k);
            using var fitWeights = DeviceTensor.Upload(device, Enumerable.Repeat(0.5f, 20 * k).ToArray(), 20, k);
            using var bigTokens = DeviceTensor.Upload(device, StepProblem.RandomRows(new Random(2), 30 * h), 30, h);
            using var bigIdx = DeviceTensor.Upload(device, OneExpertPerToken(30, k), 30, k);
            using var bigWeights = DeviceTensor.Upload(device, Enumerable.Repeat(0.5f, 30 * k).ToArray(), 30, k);

            EpDispatchResult first = layer.Dispatch(1, fitTokens, fitIdx, fitWeights);
            layer.Combine(layer.Unpermute(layer.Permute(first), first.Tokens));
            ushort[] before = first.Tokens.ToArray().Select(v => v.RawBits).ToArray();
            var error = Assert.Throws<EpCapacityException>(() => layer.Dispatch(2, bigTokens, bigIdx, bigWeights));
            ushort[] after = first.Tokens.ToArray().Select(v => v.RawBits).ToArray();
            EpDispatchResult again = layer.Dispatch(2, fitTokens, fitIdx, fitWeights);
            ushort[] againRows = again.Tokens.ToArray().Select(v => v.RawBits).ToArray();
            layer.Combine(layer.Unpermute(layer.Permute(again), again.Tokens));
            return (error.NeededRows, error.AvailableRows, error.Rank, before, after, againRows);
        };

        var reference = EpWorld.RunSimulated(1, EpDevice.Cpu, run)[0];
        using EpGroup group = NcclSingleRankGroup.Create(EpDevice.Gpu(0));
        var nccl = run(group);

        Assert.Equal((reference.Needed, reference.Available, reference.Rank), (nccl.Needed, nccl.Available, nccl.Rank));
        Assert.Equal((30L, 20L, 0), (nccl.Needed, nccl.Available, nccl.Rank));
        Assert.Equal(nccl.Before, nccl.After);
        Assert.Equal(reference.Before, nccl.Before);
        Assert.Equal(nccl.Before, nccl.Again);
    }

    [GpuTheory]
    [InlineData(1, 1, 1L, 0, 1, 1, 1L)]    // token 1 names expert 1 in slots 0 and 1: the second occurrence is reported
    [InlineData(3, 2, 16L, 0, 3, 2, 16L)]  // id 16 with E = 16
    [InlineData(0, 0, -2L, 0, 0, 0, -2L)]  // an id below −1
    public void Bad_routing_is_found_on_the_device_and_reported_like_the_reference(int token, int slot, long value,
        int expectedRank, int expectedToken, int expectedSlot, long expectedValue)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(FlatWeightedMoe)];
        Func<EpGroup, (int Rank, int Token, int Slot, long Value)> run = group =>
        {
            using var layer = new EpLayerRuntime(group, spec, source, "FlatWeightedMoe");
            EpDevice device = group.Device;
            int t = 5, k = spec.TopK, h = spec.HiddenSize;
            // Valid routing: slot j of token i names expert 4j + i % 4 (distinct within a token); then one bad entry.
            long[] ids = Enumerable.Range(0, t * k).Select(i => (long)((i % k) * 4 + i / k % 4)).ToArray();
            ids[token * k + slot] = value;
            using var tokens = DeviceTensor.Upload(device, new BFloat16[t * h], t, h);
            using var idx = DeviceTensor.Upload(device, ids, t, k);
            using var weights = DeviceTensor.Upload(device, new float[t * k], t, k);
            var error = Assert.Throws<EpRoutingException>(() => layer.Dispatch(tokens, idx, weights));
            return (error.Rank, error.Token, error.Slot, error.Value);
        };

        var reference = EpWorld.RunSimulated(1, EpDevice.Cpu, run)[0];
        using EpGroup group = NcclSingleRankGroup.Create(EpDevice.Gpu(0));
        var nccl = run(group);

        Assert.Equal(reference, nccl);
        Assert.Equal((expectedRank, expectedToken, expectedSlot, expectedValue), nccl);
    }

    private static StepRecord[] RunNccl(EpLayerSpec spec, string source, StepProblem problem, int steps)
    {
        using EpGroup group = NcclSingleRankGroup.Create(EpDevice.Gpu(0));
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        return StagedStep.Run(group, layer, problem, steps);
    }

    // Token i names expert i % 16 in slot 0 and nothing else.
    private static long[] OneExpertPerToken(int tokens, int topK) =>
        Enumerable.Range(0, tokens * topK).Select(i => i % topK == 0 ? (long)(i / topK % 16) : -1L).ToArray();
}
