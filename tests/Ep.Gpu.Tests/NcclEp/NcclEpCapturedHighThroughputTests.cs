using System;
using System.Linq;
using Ep.Engines.NcclEp;
using Xunit;
using static Ep.Gpu.Tests.CapturedStepInputs;
using static Ep.Gpu.Tests.NcclEp.NcclEpEngineTests;

namespace Ep.Gpu.Tests.NcclEp;

/// <summary>
/// A HighThroughput step captured into one CUDA graph on the NcclEp engine (one rank, GPU 0), for every HT test layout
/// (Flat, ExpertMajor with alignment, weighted or not, zero-copy): the graph sizes everything by the receive capacity
/// and reads the step's counts from NCCL EP's handle update on the device. Every replay must match the Reference
/// engine's eager step on the same inputs — the experts' rows group by group (Flat exactly, in Permute's order;
/// ExpertMajor as multisets, in NCCL EP's order), the device counts and offsets, the combined rows within 1 bf16 ulp —
/// with eager steps in between, which must update the handle the graph replaced.
/// </summary>
public sealed class NcclEpCapturedHighThroughputTests
{
    public static TheoryData<string> HighThroughputLayers() => new(TestLayers.HighThroughput);

    [NcclEpTheory]
    [MemberData(nameof(HighThroughputLayers))]
    public void Replays_match_the_reference_engine_with_eager_steps_in_between(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        int t = spec.MaxTokensPerRank;
        var first = new StepProblem(spec, ranks: 1, seed: 71, noTokens: false, tokens: t);
        var second = new StepProblem(spec, ranks: 1, seed: 72, noTokens: false, tokens: t);
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        var engine = (NcclEpLayer)layer.EngineLayer;
        using CapturedStepInputs inputs = new(group.Device, spec, t);
        EpStepRows? seen = null;
        int calls = 0;
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows =>
        {
            calls++;
            seen = rows;
            return rows.Tokens; // identity experts: Combine returns each token's (weighted) sum of its own row
        });

        Assert.True(step.IsGraph, step.How);
        foreach (StepProblem problem in new[] { first, second, first })
        {
            inputs.Write(problem);
            step.Replay();
            AssertMatchesReference(spec, source, step.Wait(), seen!, problem.Idx[0], problem, layerName);

            // An eager step on the routing the graph just used: the graph replaced the handle, so the eager Dispatch
            // must update it (and not keep it because its own copy of the ids happens to match).
            int updates = engine.HandleUpdates;
            using var pass = new StepPass(group, layer, problem);
            pass.Forward();
            pass.Backward();
            StepAssert.Matches(StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0], pass.Record, $"{layerName}, eager after a replay");
            Assert.Equal(updates + 1, engine.HandleUpdates);
        }

        Assert.Equal(1, calls); // the experts were recorded once, at capture
    }

    /// <summary>
    /// A training step as one graph: the forward step, then the upstream gradient, CombineBackward, UnpermuteBackward,
    /// the experts' backward, PermuteBackward and DispatchBackward. Each replay's combined rows and token gradients
    /// match the Reference engine's training step within 1 bf16 ulp and its weight gradients as eager NcclEp's do, with
    /// eager steps in between. The forward experts write into <see cref="EpStepRows.Output"/> (the step's own buffer);
    /// the backward experts are the identity.
    /// </summary>
    [NcclEpTheory]
    [MemberData(nameof(HighThroughputLayers))]
    public void Training_replays_match_the_reference_engine_with_eager_steps_in_between(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        int t = spec.MaxTokensPerRank, h = spec.HiddenSize;
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        using CapturedStepInputs inputs = new(group.Device, spec, t);
        using var gradOutput = DeviceTensor<BFloat16>.Allocate(group.Device, t, h);
        int forwardCalls = 0, backwardCalls = 0;
        using EpCapturedStep step = layer.CaptureTrainingStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows =>
        {
            forwardCalls++;
            return CopyToOutput(rows);
        }, combined => gradOutput, rows =>
        {
            backwardCalls++;
            return rows.Tokens;
        });

        Assert.True(step.IsGraph && step.IsTraining, step.How);
        foreach (int seed in new[] { 81, 82, 81 })
        {
            var problem = new StepProblem(spec, ranks: 1, seed: seed, noTokens: false, tokens: t);
            inputs.Write(problem);
            gradOutput.CopyFrom(problem.GradOutput[0]);
            step.Replay();
            ushort[] combined = Bits(step.Wait());
            EpDispatchGradients gradients = step.WaitGradients();

            (ushort[] Combined, ushort[] GradTokens, float[]? GradWeights) expected = ReferenceTrainingStep(spec, source, problem);
            string where = $"{layerName}, seed {seed}";
            StepAssert.MatchesWithin(expected.Combined, combined, allowedUlps: 1, where + ": combined");
            StepAssert.MatchesWithin(expected.GradTokens, Bits(gradients.GradTokens), allowedUlps: 1, where + ": token gradients");
            Assert.Equal(expected.GradWeights is null, gradients.GradTopkWeights is null);
            if (expected.GradWeights is not null)
            {
                float[] actual = gradients.GradTopkWeights!.ToArray();
                for (int i = 0; i < actual.Length; i++)
                {
                    float tolerance = 1e-5f * Math.Max(1f, Math.Abs(expected.GradWeights[i]));
                    Assert.True(Math.Abs(expected.GradWeights[i] - actual[i]) <= tolerance, $"{where}: weight gradient [{i}] is {actual[i]}, Reference {expected.GradWeights[i]}.");
                }
            }

            using var pass = new StepPass(group, layer, problem);
            pass.Forward();
            pass.Backward();
            StepAssert.Matches(StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0], pass.Record, where + ", eager after a replay");
        }

        Assert.Equal((1, 1), (forwardCalls, backwardCalls)); // both recorded once, at capture
    }

    /// <summary>The Reference engine's training step on rank 0's inputs of <paramref name="problem"/>, identity experts both ways.</summary>
    private static (ushort[] Combined, ushort[] GradTokens, float[]? GradWeights) ReferenceTrainingStep(EpLayerSpec spec, string source, StepProblem problem) =>
        EpWorld.RunSimulated(1, EpDevice.Cpu, g =>
        {
            int t = problem.TokenCounts[0], k = spec.TopK, h = spec.HiddenSize;
            using var reference = new EpLayerRuntime(g, spec, source, "TestMoe");
            using var x = DeviceTensor.Upload(g.Device, problem.Tokens[0], t, h);
            using var i = DeviceTensor.Upload(g.Device, problem.Idx[0], t, k);
            using var w = DeviceTensor.Upload(g.Device, problem.Weights[0], t, k);
            using var dOut = DeviceTensor.Upload(g.Device, problem.GradOutput[0], t, h);
            using EpCapturedStep step = reference.CaptureTrainingStep(x, i, w, rows => rows.Tokens, combined => dOut, rows => rows.Tokens);
            step.Replay();
            ushort[] combined = Bits(step.Wait());
            EpDispatchGradients gradients = step.WaitGradients();
            return (combined, Bits(gradients.GradTokens), gradients.GradTopkWeights?.ToArray());
        })[0];

    /// <summary>
    /// Bad ids are dropped on the device before NCCL EP sees them (it would abort the process) and reported by Wait; the
    /// replay's rows are the Reference step's with the bad entries −1. Experts that write into <see cref="EpStepRows.Output"/>.
    /// </summary>
    [NcclEpTheory]
    [InlineData(nameof(FlatWeightedMoe))]
    [InlineData(nameof(ExpertMajorWeightedMoe))]
    public void A_bad_id_is_dropped_before_nccl_ep_and_reported_by_wait(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        int t = spec.MaxTokensPerRank, k = spec.TopK;
        var problem = new StepProblem(spec, ranks: 1, seed: 73, noTokens: false, tokens: t);
        long[] wrong = (long[])problem.Idx[0].Clone();
        wrong[3 * k + 1] = spec.Experts;
        wrong[9 * k] = -4;
        long[] dropped = (long[])wrong.Clone();
        dropped[3 * k + 1] = -1;
        dropped[9 * k] = -1;

        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        using CapturedStepInputs inputs = new(group.Device, spec, t);
        EpStepRows? seen = null;
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows =>
        {
            seen = rows;
            return CopyToOutput(rows);
        });

        inputs.Write(problem);
        step.Replay();
        DeviceTensor<BFloat16> output = step.Wait(); // a good replay first: Wait returns the view every replay writes
        AssertMatchesReference(spec, source, output, seen!, problem.Idx[0], problem, layerName);

        inputs.Write(problem.Tokens[0], wrong, problem.Weights[0]);
        step.Replay();
        var error = Assert.Throws<EpRoutingException>(() => step.Wait());
        Assert.Equal((0, 3, 1, (long)spec.Experts), (error.Rank, error.Token, error.Slot, error.Value));
        Assert.Contains("that replay ran without the entry", error.Message, StringComparison.Ordinal);
        AssertMatchesReference(spec, source, output, seen!, dropped, problem, layerName + ", bad ids dropped");
    }

    /// <summary>
    /// A replay in which no id names an expert, and a step captured without tokens (NCCL EP gets one stand-in token
    /// that names none): both run through NCCL EP HT inside the graph, return zeros, and later replays still match.
    /// </summary>
    [NcclEpTheory]
    [InlineData(nameof(FlatMoe))]
    [InlineData(nameof(ExpertMajorMoe))]
    public void A_step_that_routes_nothing_and_a_step_without_tokens_return_zeros(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        int t = spec.MaxTokensPerRank;
        var problem = new StepProblem(spec, ranks: 1, seed: 74, noTokens: false, tokens: t);
        long[] none = Enumerable.Repeat(-1L, t * spec.TopK).ToArray();
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        using CapturedStepInputs inputs = new(group.Device, spec, t);
        EpStepRows? seen = null;
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows => (seen = rows).Tokens);

        inputs.Write(problem.Tokens[0], none, problem.Weights[0]);
        step.Replay();
        Assert.All(step.Wait().ToArray(), v => Assert.Equal(0, v.RawBits));
        Assert.All(seen!.ExpertCounts.ToArray(), c => Assert.Equal(0, c));

        inputs.Write(problem);
        step.Replay();
        AssertMatchesReference(spec, source, step.Wait(), seen, problem.Idx[0], problem, layerName + ", after a step that routed nothing");

        using CapturedStepInputs empty = new(group.Device, spec, 0);
        using EpCapturedStep noTokens = layer.CaptureStep(empty.Tokens, empty.Idx, empty.Weights, rows => rows.Tokens);
        noTokens.Replay();
        Assert.Equal((0, spec.HiddenSize), (noTokens.Wait().Rows, noTokens.Wait().Columns));

        step.Replay();
        AssertMatchesReference(spec, source, step.Wait(), seen, problem.Idx[0], problem, layerName + ", after a step without tokens");
    }

    /// <summary>
    /// The replay against the Reference engine's eager step with <paramref name="idx"/> and identity experts: the
    /// experts' rows per group, the device counts (ExpertMajor: padded to the alignment, as NCCL EP counts them) and
    /// offsets, and the combined rows.
    /// </summary>
    internal static void AssertMatchesReference(EpLayerSpec spec, string source, DeviceTensor<BFloat16> combined, EpStepRows rows, long[] idx,
        StepProblem problem, string where)
    {
        int t = problem.TokenCounts[0], k = spec.TopK, h = spec.HiddenSize;
        (ushort[] permuted, int[] counts, int[] offsets, ushort[] expected) = EpWorld.RunSimulated(1, EpDevice.Cpu, g =>
        {
            using var reference = new EpLayerRuntime(g, spec, source, "TestMoe");
            using var x = DeviceTensor.Upload(g.Device, problem.Tokens[0], t, h);
            using var i = DeviceTensor.Upload(g.Device, idx, t, k);
            using var w = DeviceTensor.Upload(g.Device, problem.Weights[0], t, k);
            EpPermutedBatch batch = reference.Permute(reference.Dispatch(x, i, w));
            return (Bits(batch.Tokens), batch.ExpertCounts.ToArray(), batch.ExpertOffsets.ToArray(),
                Bits(reference.Combine(reference.Unpermute(batch, batch.Tokens))));
        })[0];

        int alignment = spec.EffectiveAlignment;
        int[] deviceCounts = spec.Layout == EpLayout.ExpertMajor
            ? [.. counts.Select(c => (c + alignment - 1) / alignment * alignment)]
            : counts;
        Assert.Equal(deviceCounts, rows.ExpertCounts.ToArray());
        Assert.Equal(offsets, rows.ExpertOffsets.ToArray());
        ushort[] actual = Bits(rows.Tokens)[..permuted.Length];
        if (spec.Layout == EpLayout.ExpertMajor)
        {
            AssertSameRowsPerGroup(permuted, actual, h, offsets, deviceCounts, where + ": captured expert rows");
        }
        else
        {
            Assert.True(permuted.SequenceEqual(actual), $"{where}: the captured step's permuted rows differ from the Reference engine's.");
        }

        StepAssert.MatchesWithin(expected, Bits(combined), allowedUlps: 1, where + ": captured combine");
    }
}
