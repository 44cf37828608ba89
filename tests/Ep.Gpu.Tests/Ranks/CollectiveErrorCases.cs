using System;
using System.Linq;
using Xunit;

namespace Ep.Gpu.Tests.Ranks;

/// <summary>
/// Errors found on one rank are agreed by all (docs/semantics.md, "Collective validation"): every rank throws the same
/// exception with the same figures as the Reference engine, nothing reaches NCCL or NCCL EP, and the same layer then
/// runs a good step (the communicator is still healthy).
/// </summary>
internal static class CollectiveErrorCases
{
    public static string BadRoutingOnTheLastRank(EpGroup group)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(FlatWeightedMoe)];
        string engine = "";
        Func<EpGroup, (int Rank, int Token, int Slot, long Value, int Rows)> run = g =>
        {
            using var layer = new EpLayerRuntime(g, spec, source, nameof(FlatWeightedMoe));
            engine = layer.EngineKind.ToString();
            int t = 5, k = spec.TopK, h = spec.HiddenSize;
            // Valid routing: slot j of token i names expert 4j + i % 4 (distinct within a token).
            long[] ids = Enumerable.Range(0, t * k).Select(i => (long)((i % k) * 4 + i / k % 4)).ToArray();
            using var tokens = DeviceTensor.Upload(g.Device, StepProblem.RandomRows(new Random(g.Rank), t * h), t, h);
            using var goodIdx = DeviceTensor.Upload(g.Device, ids, t, k);
            using var weights = DeviceTensor.Upload(g.Device, Enumerable.Repeat(0.5f, t * k).ToArray(), t, k);
            if (g.Rank == g.WorldSize - 1)
            {
                ids[3 * k + 2] = spec.Experts;
            }

            using var idx = DeviceTensor.Upload(g.Device, ids, t, k);
            var error = Assert.Throws<EpRoutingException>(() => layer.Dispatch(tokens, idx, weights));
            EpDispatchResult d = layer.Dispatch(tokens, goodIdx, weights);
            EpPermutedBatch batch = layer.Permute(d);
            layer.Combine(layer.Unpermute(batch, batch.Tokens));
            return (error.Rank, error.Token, error.Slot, error.Value, d.RowCount);
        };

        var expected = EpWorld.RunSimulated(group.WorldSize, EpDevice.Cpu, run)[group.Rank];
        var actual = run(group);
        Assert.Equal(expected, actual);
        Assert.Equal((group.WorldSize - 1, 3, 2, (long)spec.Experts), (actual.Rank, actual.Token, actual.Slot, actual.Value));
        return engine;
    }

    /// <summary>Needs two ranks: one rank cannot overflow a valid layer (EP0009 makes the capacity at least one rank's tokens).</summary>
    public static string CapacityOverflowOnRankZero(EpGroup group)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(TightCapacityMoe)];
        string engine = "";
        Func<EpGroup, (long Needed, long Available, int Rank, int Rows)> run = g =>
        {
            using var layer = new EpLayerRuntime(g, spec, source, nameof(TightCapacityMoe));
            engine = layer.EngineKind.ToString();
            int k = spec.TopK, h = spec.HiddenSize, all = spec.MaxTokensPerRank, few = spec.MaxTokensPerRank / g.WorldSize;
            // Every token names expert 0 (on rank 0) in slot 0: all tokens of all ranks overflow rank 0's 40 rows.
            long[] Ids(int tokens) => Enumerable.Range(0, tokens * k).Select(i => i % k == 0 ? 0L : -1L).ToArray();
            using var bigTokens = DeviceTensor.Upload(g.Device, StepProblem.RandomRows(new Random(g.Rank), all * h), all, h);
            using var bigIdx = DeviceTensor.Upload(g.Device, Ids(all), all, k);
            using var bigWeights = DeviceTensor.Upload(g.Device, Enumerable.Repeat(0.5f, all * k).ToArray(), all, k);
            using var fitTokens = DeviceTensor.Upload(g.Device, StepProblem.RandomRows(new Random(g.Rank + 9), few * h), few, h);
            using var fitIdx = DeviceTensor.Upload(g.Device, Ids(few), few, k);
            using var fitWeights = DeviceTensor.Upload(g.Device, Enumerable.Repeat(0.5f, few * k).ToArray(), few, k);
            var error = Assert.Throws<EpCapacityException>(() => layer.Dispatch(bigTokens, bigIdx, bigWeights));
            EpDispatchResult d = layer.Dispatch(fitTokens, fitIdx, fitWeights);
            EpPermutedBatch batch = layer.Permute(d);
            layer.Combine(layer.Unpermute(batch, batch.Tokens));
            return (error.NeededRows, error.AvailableRows, error.Rank, d.RowCount);
        };

        var expected = EpWorld.RunSimulated(group.WorldSize, EpDevice.Cpu, run)[group.Rank];
        var actual = run(group);
        Assert.Equal(expected, actual);
        Assert.Equal(((long)spec.MaxTokensPerRank * group.WorldSize, (long)spec.RecvCapacityPerRank, 0), (actual.Needed, actual.Available, actual.Rank));
        return engine;
    }
}
