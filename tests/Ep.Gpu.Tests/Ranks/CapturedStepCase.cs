using System;
using System.Linq;
using Xunit;
using static Ep.Gpu.Tests.CapturedStepInputs;

namespace Ep.Gpu.Tests.Ranks;

/// <summary>
/// A captured step on every rank (a CUDA graph on NcclEp, eager replays elsewhere), LowLatency or HighThroughput: two
/// replays on rewritten inputs match the Reference engine's eager steps, and a bad id on rank 0 is reported by every
/// rank's <c>Wait</c> with the same figures (on NcclEp, through the gather of every rank's error records inside the graph).
/// A captured training step matches the Reference engine's too.
/// </summary>
internal static class CapturedStepCase
{
    public static string MatchesReferenceAndAgreesOnErrors(EpGroup group, string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, group.WorldSize, seed: 61, noTokens: false);
        string how = "";
        Func<EpGroup, (ushort[] First, ushort[] Second, int Rank, int Token, int Slot, long Value)> run = g =>
        {
            using var layer = new EpLayerRuntime(g, spec, source, layerName);
            int t = problem.TokenCounts[g.Rank], k = spec.TopK, h = spec.HiddenSize;
            long[] ids = problem.Idx[g.Rank];
            using var tokens = DeviceTensor.Upload(g.Device, problem.Tokens[g.Rank], t, h);
            using var idx = DeviceTensor.Upload(g.Device, ids, t, k);
            using var weights = DeviceTensor.Upload(g.Device, problem.Weights[g.Rank], t, k);
            using EpCapturedStep step = layer.CaptureStep(tokens, idx, weights, rows => rows.Tokens);
            how = step.How;
            step.Replay();
            ushort[] first = Bits(step.Wait());

            // Second replay: each rank's tokens reversed in place, same routing.
            BFloat16[] reversed = Enumerable.Range(0, t).Reverse().SelectMany(r => problem.Tokens[g.Rank].Skip(r * h).Take(h)).ToArray();
            tokens.CopyFrom(reversed);
            step.Replay();
            ushort[] second = Bits(step.Wait());

            if (g.Rank == 0)
            {
                long[] bad = (long[])ids.Clone();
                bad[0] = spec.Experts; // token 0, slot 0
                idx.CopyFrom(bad);
            }

            step.Replay();
            var error = Assert.Throws<EpRoutingException>(() => step.Wait());
            return (first, second, error.Rank, error.Token, error.Slot, error.Value);
        };

        var expected = EpWorld.RunSimulated(group.WorldSize, EpDevice.Cpu, run)[group.Rank];
        var actual = run(group);
        StepAssert.MatchesWithin(expected.First, actual.First, allowedUlps: 1, "captured step, first replay");
        StepAssert.MatchesWithin(expected.Second, actual.Second, allowedUlps: 1, "captured step, second replay");
        Assert.Equal((0, 0, 0, (long)spec.Experts), (actual.Rank, actual.Token, actual.Slot, actual.Value));
        Assert.Equal((expected.Rank, expected.Token, expected.Slot, expected.Value), (actual.Rank, actual.Token, actual.Slot, actual.Value));
        return how;
    }

    /// <summary>
    /// A captured training step on every rank (HighThroughput; identity experts both ways, each rank's upstream gradient
    /// fixed): its combined rows and token gradients match the Reference engine's training step within 1 bf16 ulp, and
    /// its routing-weight gradients within the tolerance eager steps have.
    /// </summary>
    public static string TrainingMatchesReference(EpGroup group, string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, group.WorldSize, seed: 67, noTokens: false);
        string how = "";
        Func<EpGroup, (ushort[] Combined, ushort[] GradTokens, float[] GradWeights)> run = g =>
        {
            using var layer = new EpLayerRuntime(g, spec, source, layerName);
            int t = problem.TokenCounts[g.Rank], k = spec.TopK, h = spec.HiddenSize;
            using var tokens = DeviceTensor.Upload(g.Device, problem.Tokens[g.Rank], t, h);
            using var idx = DeviceTensor.Upload(g.Device, problem.Idx[g.Rank], t, k);
            using var weights = DeviceTensor.Upload(g.Device, problem.Weights[g.Rank], t, k);
            using var gradOutput = DeviceTensor.Upload(g.Device, problem.GradOutput[g.Rank], t, h);
            using EpCapturedStep step = layer.CaptureTrainingStep(tokens, idx, weights, rows => rows.Tokens, combined => gradOutput, rows => rows.Tokens);
            how = step.How;
            step.Replay();
            ushort[] combined = Bits(step.Wait());
            EpDispatchGradients gradients = step.WaitGradients();
            return (combined, Bits(gradients.GradTokens), gradients.GradTopkWeights?.ToArray() ?? []);
        };

        var expected = EpWorld.RunSimulated(group.WorldSize, EpDevice.Cpu, run)[group.Rank];
        var actual = run(group);
        StepAssert.MatchesWithin(expected.Combined, actual.Combined, allowedUlps: 1, "captured training step, combined");
        StepAssert.MatchesWithin(expected.GradTokens, actual.GradTokens, allowedUlps: 1, "captured training step, token gradients");
        Assert.Equal(expected.GradWeights.Length, actual.GradWeights.Length);
        for (int i = 0; i < actual.GradWeights.Length; i++)
        {
            float tolerance = 1e-5f * Math.Max(1f, Math.Abs(expected.GradWeights[i]));
            Assert.True(Math.Abs(expected.GradWeights[i] - actual.GradWeights[i]) <= tolerance,
                $"captured training step: weight gradient [{i}] is {actual.GradWeights[i]}, Reference {expected.GradWeights[i]}.");
        }

        return how;
    }
}
