using System;
using System.Linq;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Xunit;
using static Ep.Gpu.Tests.CapturedStepInputs;
using static Ep.Gpu.Tests.NcclEp.NcclEpEngineTests;

namespace Ep.Gpu.Tests.NcclEp;

/// <summary>
/// A LowLatency step captured into one CUDA graph on the NcclEp engine (one rank, GPU 0): every replay reads the input
/// tensors again and must match the Reference engine's eager step (received rows per expert group as multisets —
/// NCCL EP LL places rows in arrival order —, device counts exactly, the weighted Combine within 1 bf16 ulp); bad ids
/// are dropped on the device before NCCL EP sees them (it would abort the process) and reported by Wait. Experts either
/// return another tensor (Combine copies it in) or write into <see cref="EpStepRows.Output"/> (no copy).
/// </summary>
public sealed class NcclEpCapturedStepTests
{
    private static readonly (EpLayerSpec Spec, string Source) Layer = TestLayers.All[nameof(LowLatencyMoe)];

    private static EpLayerSpec Spec => Layer.Spec;

    private static int T => Spec.MaxTokensPerRank;

    [NcclEpFact]
    public void Replays_of_one_graph_match_the_reference_engine_with_eager_steps_in_between()
    {
        StepProblem crowded = Crowded(seed: 50);
        StepProblem[] problems = [crowded, new(Spec, ranks: 1, seed: 51, noTokens: false, tokens: T), new(Spec, ranks: 1, seed: 52, noTokens: false, tokens: T)];
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, Spec, Layer.Source, "TestMoe");
        using CapturedStepInputs inputs = new(group.Device, Spec, T);
        EpStepRows? seen = null;
        int calls = 0;
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows =>
        {
            calls++;
            seen = rows;
            return rows.Tokens; // identity experts: Combine returns each token's weighted sum of its own row
        });

        Assert.True(step.IsGraph, step.How);
        foreach (StepProblem problem in problems.Concat(problems.Reverse()))
        {
            inputs.Write(problem.Tokens[0], problem.Idx[0], problem.Weights[0]);
            step.Replay();
            AssertMatchesReference(step.Wait(), seen!, problem.Idx[0], problem);

            // An eager step of the same layer between replays: NCCL EP's buffers and the padding tracking stay in step.
            StagedStep.Run(group, layer, problem, steps: 1);
        }

        Assert.Equal(1, calls); // the experts were recorded once, at capture
    }

    public static TheoryData<string> BadEntries() => new() { "out of range", "below -1", "repeat" };

    [NcclEpTheory]
    [MemberData(nameof(BadEntries))]
    public void A_bad_id_is_dropped_before_nccl_ep_and_reported_by_wait_like_the_reference(string bad)
    {
        var problem = new StepProblem(Spec, ranks: 1, seed: 53, noTokens: false, tokens: T);
        long[] good = (long[])problem.Idx[0].Clone();
        long[] wrong = (long[])good.Clone();
        int k = Spec.TopK;
        (int token, int slot) = bad switch
        {
            "out of range" => (3, 1),
            "below -1" => (0, 0),
            _ => (5, 2),
        };
        switch (bad)
        {
            case "out of range":
                wrong[token * k + slot] = Spec.Experts;
                break;
            case "below -1":
                wrong[token * k + slot] = -2;
                break;
            default:
                // Slots 0 and 2 both name expert 7 (K = 4): slot 2 is the bad one.
                Array.Copy(new long[] { 7, 8, 7, -1 }, 0, wrong, token * k, k);
                break;
        }
        long[] dropped = (long[])wrong.Clone();
        dropped[token * k + slot] = -1;
        EpRoutingException expected = EpWorld.RunSimulated(1, EpDevice.Cpu, g =>
        {
            using var reference = new EpLayerRuntime(g, Spec, Layer.Source, "TestMoe");
            using CapturedStepInputs cpu = new(g.Device, Spec, T);
            cpu.Write(problem.Tokens[0], wrong, problem.Weights[0]);
            return Assert.Throws<EpRoutingException>(() => reference.Dispatch(cpu.Tokens, cpu.Idx, cpu.Weights));
        })[0];

        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, Spec, Layer.Source, "TestMoe");
        using CapturedStepInputs inputs = new(group.Device, Spec, T);
        EpStepRows? seen = null;
        // Experts that write their output into the layer's Combine buffer (no copy): here a device copy of the rows,
        // enqueued on the step's stream, so it is part of the graph.
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows =>
        {
            seen = rows;
            return CopyToOutput(rows);
        });
        inputs.Write(problem.Tokens[0], good, problem.Weights[0]);
        step.Replay();
        DeviceTensor<BFloat16> combined = step.Wait();

        inputs.Write(problem.Tokens[0], wrong, problem.Weights[0]);
        step.Replay();
        var error = Assert.Throws<EpRoutingException>(() => step.Wait());

        Assert.Equal((expected.Rank, expected.Token, expected.Slot, expected.Value), (error.Rank, error.Token, error.Slot, error.Value));
        // One text on every engine; the eager one says nothing was sent, the captured one that the replay ran without it.
        string eager = expected.Message.Split(" (Parameter")[0];
        Assert.EndsWith(" Nothing was sent.", eager, StringComparison.Ordinal);
        Assert.StartsWith(eager[..^" Nothing was sent.".Length], error.Message, StringComparison.Ordinal);
        Assert.Contains("that replay ran without the entry", error.Message, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage(error.Message);
        // The replay ran without the bad entry: what it returned is the Reference step with that entry −1.
        AssertMatchesReference(combined, seen!, dropped, problem);

        inputs.Write(problem.Tokens[0], good, problem.Weights[0]);
        step.Replay();
        AssertMatchesReference(step.Wait(), seen!, good, problem);
    }

    /// <summary>
    /// 600 tokens: the routing check runs three blocks, each with its own error record; the lowest bad entry over all of
    /// them (here in the second block, the third also has one, the first none) is the one reported, and every bad entry
    /// is dropped from the replay.
    /// </summary>
    [NcclEpFact]
    public void With_several_check_blocks_the_lowest_bad_entry_of_any_block_is_reported()
    {
        EpLayerSpec spec = ManyTokensLowLatencyMoe.Spec;
        string source = ManyTokensLowLatencyMoe.KernelSource;
        int t = spec.MaxTokensPerRank, k = spec.TopK;
        var problem = new StepProblem(spec, ranks: 1, seed: 56, noTokens: false, tokens: t);
        long[] wrong = (long[])problem.Idx[0].Clone();
        wrong[290 * k + 2] = spec.Experts + 3;
        wrong[550 * k + 1] = -7;
        long[] dropped = (long[])wrong.Clone();
        dropped[290 * k + 2] = -1;
        dropped[550 * k + 1] = -1;

        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "ManyTokensLowLatencyMoe");
        using var tokens = DeviceTensor.Upload(group.Device, problem.Tokens[0], t, spec.HiddenSize);
        using var idx = DeviceTensor.Upload(group.Device, problem.Idx[0], t, k);
        using var weights = DeviceTensor.Upload(group.Device, problem.Weights[0], t, k);
        EpStepRows? seen = null;
        using EpCapturedStep step = layer.CaptureStep(tokens, idx, weights, rows => (seen = rows).Tokens);
        step.Replay();
        DeviceTensor<BFloat16> output = step.Wait(); // a good replay first: Wait returns the view every replay writes

        idx.CopyFrom(wrong);
        step.Replay();
        var error = Assert.Throws<EpRoutingException>(() => step.Wait());
        Assert.Equal((0, 290, 2, (long)spec.Experts + 3), (error.Rank, error.Token, error.Slot, error.Value));

        (ushort[] combined, int[] counts) = EpWorld.RunSimulated(1, EpDevice.Cpu, g =>
        {
            using var reference = new EpLayerRuntime(g, spec, source, "ManyTokensLowLatencyMoe");
            using var x = DeviceTensor.Upload(g.Device, problem.Tokens[0], t, spec.HiddenSize);
            using var i = DeviceTensor.Upload(g.Device, dropped, t, k);
            using var w = DeviceTensor.Upload(g.Device, problem.Weights[0], t, k);
            EpDispatchResult d = reference.Dispatch(x, i, w);
            return (Bits(reference.Combine(d.Tokens)), d.ExpertCounts.ToArray());
        })[0];
        Assert.Equal(counts, seen!.ExpertCounts.ToArray());
        StepAssert.MatchesWithin(combined, Bits(output), allowedUlps: 1, "captured combine, 600 tokens");
    }

    [NcclEpFact]
    public void A_step_that_routes_nothing_and_a_step_without_tokens_return_zeros()
    {
        var problem = new StepProblem(Spec, ranks: 1, seed: 54, noTokens: false, tokens: T);
        long[] none = Enumerable.Repeat(-1L, T * Spec.TopK).ToArray();
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, Spec, Layer.Source, "TestMoe");
        using CapturedStepInputs inputs = new(group.Device, Spec, T);
        EpStepRows? seen = null;
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows => (seen = rows).Tokens);
        inputs.Write(problem.Tokens[0], problem.Idx[0], problem.Weights[0]);
        step.Replay();
        AssertMatchesReference(step.Wait(), seen!, problem.Idx[0], problem);

        inputs.Write(problem.Tokens[0], none, problem.Weights[0]);
        step.Replay();
        Assert.All(step.Wait().ToArray(), v => Assert.Equal(0, v.RawBits));
        Assert.All(seen!.ExpertCounts.ToArray(), c => Assert.Equal(0, c));
        Assert.All(seen.Tokens.ToArray(), v => Assert.Equal(0, v.RawBits)); // the previous replay's rows were cleared

        using CapturedStepInputs empty = new(group.Device, Spec, 0);
        using EpCapturedStep noTokens = layer.CaptureStep(empty.Tokens, empty.Idx, empty.Weights, rows => rows.Tokens);
        noTokens.Replay();
        Assert.Equal((0, Spec.HiddenSize), (noTokens.Wait().Rows, noTokens.Wait().Columns));
    }

    /// <summary>
    /// Experts that return the wrong shape make CaptureStep throw after NCCL EP's dispatch was recorded: the capture is
    /// discarded (with the combine that keeps NCCL EP's buffer index in step) and the layer goes on, eager and captured.
    /// </summary>
    [NcclEpFact]
    public void A_capture_whose_experts_fail_is_discarded_and_the_layer_goes_on()
    {
        var problem = new StepProblem(Spec, ranks: 1, seed: 55, noTokens: false, tokens: T);
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, Spec, Layer.Source, "TestMoe");
        using CapturedStepInputs inputs = new(group.Device, Spec, T);
        inputs.Write(problem.Tokens[0], problem.Idx[0], problem.Weights[0]);

        var error = Assert.Throws<EpShapeException>(() => layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows => rows.Tokens.SliceRows(0, 1)));
        Assert.Equal("experts", error.ParamName);

        StepRecord eager = StagedStep.Run(group, layer, problem, steps: 1)[0];
        Assert.NotEmpty(eager.Rows["combine"]);
        EpStepRows? seen = null;
        using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows => (seen = rows).Tokens);
        step.Replay();
        AssertMatchesReference(step.Wait(), seen!, problem.Idx[0], problem);
    }

    /// <summary>Every token names experts 0..K−1: each of those groups fills up, so later replays must clear rows.</summary>
    private static StepProblem Crowded(int seed)
    {
        var crowded = new StepProblem(Spec, ranks: 1, seed: seed, noTokens: false, tokens: T);
        for (int i = 0; i < crowded.Idx[0].Length; i++)
        {
            crowded.Idx[0][i] = i % Spec.TopK;
        }

        return crowded;
    }

    /// <summary>
    /// Outputs not poisoned, so only the padding tracking keeps unused rows zero. Replays that vacate rows (a crowded
    /// routing, then a random one) leave them zero — at one rank the routing check's own launch clears them, counting
    /// each group's rows from the ids; with <paramref name="fromGatheredCounts"/>, as several ranks do, a clear beside
    /// NCCL EP's dispatch from the counts the check gathered —, and experts that wrote every row of the Combine buffer
    /// (ones, padding included) do not leak into the next eager step's Unpermute: each replay forgets that buffer's
    /// padding on the host, and the eager step clears it.
    /// </summary>
    [NcclEpTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unpoisoned_replays_keep_unused_rows_zero_in_their_rows_and_in_the_next_eager_step(bool fromGatheredCounts)
    {
        StepProblem crowded = Crowded(seed: 57);
        var problem = new StepProblem(Spec, ranks: 1, seed: 58, noTokens: false, tokens: T);
        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, Spec, Layer.Source, problem, steps: 1)[0][0];

        StepRecord eager = Unpoisoned(() =>
        {
            using EpGroup group = OneRankGroup();
            using var layer = new EpLayerRuntime(group, Spec, Layer.Source, "TestMoe");
            using CapturedStepInputs inputs = new(group.Device, Spec, T);
            StagedStep.Run(group, layer, problem, steps: 1); // from here eager Unpermute's padding is known to be zero
            ((NcclEpLayer)layer.EngineLayer).ClearsPaddingFromGatheredCounts = fromGatheredCounts;
            EpStepRows? seen = null;
            using EpCapturedStep step = layer.CaptureStep(inputs.Tokens, inputs.Idx, inputs.Weights, rows =>
            {
                seen = rows;
                const uint TwoBFloat16Ones = 0x3F803F80;
                CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(StagedMemory.Address(rows.Output), TwoBFloat16Ones, (nuint)(rows.Output.Length / 2),
                    rows.Stream));
                return rows.Output;
            });
            foreach (StepProblem replayed in new[] { crowded, problem })
            {
                inputs.Write(replayed);
                step.Replay();
                step.Wait();
                AssertDispatchMatchesReference(seen!, Reference(replayed.Idx[0], replayed));
            }

            return StagedStep.Run(group, layer, problem, steps: 1)[0];
        });

        StepAssert.MatchesUpToRowOrderWithinExperts(reference, eager, Spec.HiddenSize, "an eager step after replays");
    }

    /// <summary>The replay's received rows, device counts and combined rows against the Reference engine's eager step with <paramref name="idx"/>.</summary>
    private static void AssertMatchesReference(DeviceTensor<BFloat16> combined, EpStepRows rows, long[] idx, StepProblem problem)
    {
        ReferenceStep reference = Reference(idx, problem);
        AssertDispatchMatchesReference(rows, reference);
        StepAssert.MatchesWithin(reference.Combined, Bits(combined), allowedUlps: 1, "captured combine");
    }

    /// <summary>The replay's received rows (each group's as a multiset, its unused rows zero) and device counts against the Reference engine's.</summary>
    private static void AssertDispatchMatchesReference(EpStepRows rows, ReferenceStep reference)
    {
        Assert.Equal(reference.Counts, rows.ExpertCounts.ToArray());
        Assert.Equal(reference.Offsets, Enumerable.Range(0, reference.Counts.Length).Select(e => e * rows.GroupRows));
        AssertSameRowsPerGroup(reference.Received, Bits(rows.Tokens), Spec.HiddenSize, reference.Offsets, reference.Counts, "captured dispatch");
    }

    /// <summary>The Reference engine's eager Dispatch and Combine of <paramref name="problem"/>'s rank 0 with <paramref name="idx"/>.</summary>
    private static ReferenceStep Reference(long[] idx, StepProblem problem) => EpWorld.RunSimulated(1, EpDevice.Cpu, g =>
    {
        using var reference = new EpLayerRuntime(g, Spec, Layer.Source, "TestMoe");
        using CapturedStepInputs cpu = new(g.Device, Spec, T);
        cpu.Write(problem.Tokens[0], idx, problem.Weights[0]);
        EpDispatchResult d = reference.Dispatch(cpu.Tokens, cpu.Idx, cpu.Weights);
        return new ReferenceStep(Bits(d.Tokens), d.ExpertCounts.ToArray(), d.ExpertOffsets.ToArray(), Bits(reference.Combine(d.Tokens)));
    })[0];

    private sealed record ReferenceStep(ushort[] Received, int[] Counts, int[] Offsets, ushort[] Combined);
}
