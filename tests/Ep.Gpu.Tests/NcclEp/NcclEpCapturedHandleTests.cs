using System;
using System.Linq;
using Ep.Engines.NcclEp;
using Xunit;
using static Ep.Gpu.Tests.CapturedStepInputs;
using static Ep.Gpu.Tests.NcclEp.NcclEpCapturedHighThroughputTests;
using static Ep.Gpu.Tests.NcclEp.NcclEpEngineTests;

namespace Ep.Gpu.Tests.NcclEp;

/// <summary>
/// A captured HighThroughput step rebuilds NCCL EP's handle only when the routing changed (a conditional node around
/// ncclEpUpdateHandle, opened on the device): replays of the same ids — with new tokens and weights — keep it, one
/// changed id rebuilds it, an eager step in between makes the next replay rebuild it, and every replay still matches
/// the Reference engine (NcclEpCapturedHighThroughputTests checks the step itself with a rebuild every replay).
/// </summary>
public sealed class NcclEpCapturedHandleTests
{
    public static TheoryData<string> HighThroughputLayers() => new(TestLayers.HighThroughput);

    [NcclEpTheory]
    [MemberData(nameof(HighThroughputLayers))]
    public void Replays_rebuild_the_handle_only_when_some_id_changed(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        int t = spec.MaxTokensPerRank;
        var first = new StepProblem(spec, ranks: 1, seed: 91, noTokens: false, tokens: t);
        var other = new StepProblem(spec, ranks: 1, seed: 92, noTokens: false, tokens: t);
        long[] changed = WithOneIdChanged(first.Idx[0], spec);
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        var engine = (NcclEpLayer)layer.EngineLayer;
        using CapturedStepInputs inputs = new(group.Device, spec, t);
        EpStepRows? seen = null;
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows => (seen = rows).Tokens);
        Assert.True(step.IsGraph, step.How);
        Assert.Null(engine.WhyCapturedStepsRebuildHandle);
        Assert.Contains("rebuilt only in replays whose routing changed", step.How, StringComparison.Ordinal);

        void ReplayAndCheck(StepProblem rowsAndWeights, long[] idx, long rebuilds, string what)
        {
            inputs.Write(rowsAndWeights.Tokens[0], idx, rowsAndWeights.Weights[0]);
            step.Replay();
            AssertMatchesReference(spec, source, step.Wait(), seen!, idx, rowsAndWeights, $"{layerName}, {what}");
            Assert.True(rebuilds == engine.CapturedHandleRebuilds, $"{layerName}, {what}: {engine.CapturedHandleRebuilds} rebuilds, expected {rebuilds}.");
        }

        ReplayAndCheck(first, first.Idx[0], 1, "first replay");
        ReplayAndCheck(first, first.Idx[0], 1, "the same inputs again");
        ReplayAndCheck(other, first.Idx[0], 1, "the same ids with other tokens and weights");
        ReplayAndCheck(first, changed, 2, "one id changed");
        ReplayAndCheck(first, changed, 2, "that routing again");

        // An eager step changes the handle: the next replay must rebuild it even though its own ids repeat.
        using (var pass = new StepPass(group, layer, first))
        {
            pass.Forward();
            pass.Backward();
        }

        ReplayAndCheck(first, changed, 3, "after an eager step");
    }

    /// <summary>A training step's replays keep the handle too: the second replay of the same inputs rebuilds nothing and gives the same results.</summary>
    [NcclEpTheory]
    [InlineData(nameof(FlatWeightedMoe))]
    [InlineData(nameof(ExpertMajorWeightedMoe))]
    public void Training_replays_of_the_same_routing_keep_the_handle(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        int t = spec.MaxTokensPerRank, h = spec.HiddenSize;
        var problem = new StepProblem(spec, ranks: 1, seed: 94, noTokens: false, tokens: t);
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        var engine = (NcclEpLayer)layer.EngineLayer;
        using CapturedStepInputs inputs = new(group.Device, spec, t);
        using var gradOutput = DeviceTensor<BFloat16>.Allocate(group.Device, t, h);
        using EpCapturedStep step = layer.CaptureTrainingStep(inputs.Tokens, inputs.Idx, inputs.Weights, CopyToOutput, combined => gradOutput,
            rows => rows.Tokens);
        Assert.True(step.IsGraph && step.IsTraining, step.How);
        inputs.Write(problem);
        gradOutput.CopyFrom(problem.GradOutput[0]);

        var results = new (ushort[] Combined, ushort[] GradTokens, float[]? GradWeights)[2];
        for (int replay = 0; replay < results.Length; replay++)
        {
            step.Replay();
            ushort[] combined = Bits(step.Wait());
            EpDispatchGradients gradients = step.WaitGradients();
            results[replay] = (combined, Bits(gradients.GradTokens), gradients.GradTopkWeights?.ToArray());
            Assert.Equal(1, engine.CapturedHandleRebuilds);
        }

        Assert.True(results[0].Combined.SequenceEqual(results[1].Combined), $"{layerName}: the replay that kept the handle combined other rows.");
        Assert.True(results[0].GradTokens.SequenceEqual(results[1].GradTokens), $"{layerName}: the replay that kept the handle gave other token gradients.");
        Assert.True(results[0].GradWeights!.SequenceEqual(results[1].GradWeights!), $"{layerName}: the replay that kept the handle gave other weight gradients.");
    }

    /// <summary><paramref name="idx"/> with the last token's first slot naming an expert the row does not name yet.</summary>
    private static long[] WithOneIdChanged(long[] idx, EpLayerSpec spec)
    {
        long[] changed = (long[])idx.Clone();
        int k = spec.TopK, row = idx.Length / k - 1;
        long[] named = idx.Skip(row * k).Take(k).ToArray();
        changed[row * k] = Enumerable.Range(0, spec.Experts).First(e => !named.Contains(e));
        return changed;
    }
}
