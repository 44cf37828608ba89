using System;
using System.Collections.Generic;
using System.Linq;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Gpu.Tests.NcclEp;

/// <summary>
/// The NcclEp engine on one rank (one process, GPU 0, a one-rank NCCL communicator the engine borrows from its group) against the
/// Reference engine: HT Flat and HT ExpertMajor (every operation, both pass directions), LL ExpertMajor (inference).
/// Outputs are poisoned before every operation; bad input must never reach NCCL EP (it would abort the process).
/// </summary>
public sealed class NcclEpEngineTests
{
    static NcclEpEngineTests()
    {
        NcclEpLayer.PoisonOutputs = true;
    }

    public static TheoryData<string> HighThroughputLayers() =>
        new(TestLayers.HighThroughput);

    [NcclEpFact]
    public void Auto_picks_the_nccl_ep_engine_and_says_why()
    {
        using EpGroup group = OneRankGroup();
        Assert.Equal(EpEngineKind.NcclEp, group.EngineKind);
        Assert.StartsWith("NcclEp: ", group.EngineReason, StringComparison.Ordinal);
        Assert.Contains("NCCL EP 0.1.0", group.EngineReason, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage(group.EngineReason);
    }

    [NcclEpTheory]
    [MemberData(nameof(HighThroughputLayers))]
    public void High_throughput_matches_the_reference_engine_and_repeats_bit_for_bit(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks: 1, seed: 11 + layerName.Length, noTokens: false);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord[] ncclEp = Run(spec, source, problem, steps: 2);

        StepAssert.Matches(reference, ncclEp[0], $"{layerName} on NCCL EP");
        StepAssert.Identical(ncclEp[0], ncclEp[1], $"{layerName} on NCCL EP, second step");
    }

    /// <summary>
    /// HighThroughput Dispatch skips <c>ncclEpUpdateHandle</c> (≈ 200 µs per step at 4096 tokens) when every rank's ids
    /// equal the ones the handle holds: a repeat keeps it — also with new tokens and weights, and after a full backward
    /// pass — while one changed id (the last entry: the routing record's last block), fewer tokens with the same
    /// leading rows, or a refused routing in between (of the held token count, or of another) each do what they must.
    /// Every step matches the Reference engine on its own inputs, and the handle's update count shows which steps updated.
    /// </summary>
    [NcclEpTheory]
    [MemberData(nameof(HighThroughputLayers))]
    public void High_throughput_keeps_the_handle_only_while_every_ranks_routing_repeats(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        int t = spec.MaxTokensPerRank, k = spec.TopK;
        var first = new StepProblem(spec, ranks: 1, seed: 29, noTokens: false, tokens: t);
        StepProblem reweighted = first.Copy();
        var random = new Random(5);
        reweighted.Tokens[0] = StepProblem.RandomRows(random, reweighted.Tokens[0].Length);
        for (int i = 0; i < reweighted.Weights[0].Length; i++)
        {
            reweighted.Weights[0][i] = reweighted.Idx[0][i] < 0 ? 0f : (float)random.NextDouble();
        }

        StepProblem oneIdChanged = first.Copy();
        oneIdChanged.ChangeLastId(rank: 0, spec.Experts, k);
        StepProblem fewer = first.Copy(tokens: t - 1);
        StepProblem badRouting = fewer.Copy();
        badRouting.Idx[0][0] = spec.Experts;
        StepProblem badRoutingOfAllTokens = first.Copy();
        badRoutingOfAllTokens.Idx[0][0] = spec.Experts;

        (StepProblem Problem, int Updates, string Name, StepProblem? RefusedBefore)[] steps =
        [
            (first, 1, "first routing", null), (first, 1, "the same again", null), (reweighted, 1, "the same ids, new tokens and weights", null),
            (oneIdChanged, 2, "one id changed", null), (fewer, 3, "one token fewer", null),
            (fewer, 3, "one token fewer, again after a refused step of as many tokens", badRouting),
            // Every step's ids are copied before its check, the refused step's too: into the copy the handle does not
            // hold, so the next step still finds its routing held.
            (fewer, 3, "one token fewer, again after a refused step of another token count", badRoutingOfAllTokens),
        ];
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        var engine = (NcclEpLayer)layer.EngineLayer;
        foreach ((StepProblem problem, int updates, string name, StepProblem? refusedBefore) in steps)
        {
            if (refusedBefore is not null)
            {
                using var refused = new StepPass(group, layer, refusedBefore);
                Assert.Throws<EpRoutingException>(refused.Forward);
            }

            using var pass = new StepPass(group, layer, problem);
            pass.Forward();
            pass.Backward();
            StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
            StepAssert.Matches(reference, pass.Record, $"{layerName} on NCCL EP, {name}");
            Assert.True(updates == engine.HandleUpdates, $"{layerName}, {name}: {engine.HandleUpdates} handle updates, expected {updates}.");
        }
    }

    public static TheoryData<string, int> ManyTokenLayers()
    {
        var data = new TheoryData<string, int>();
        foreach ((string layer, int tokens) in TestLayers.ManyTokens)
        {
            data.Add(layer, tokens);
        }

        return data;
    }

    /// <summary>Routing over several tiles of Ep's routing kernels, which run before NCCL EP is called.</summary>
    [NcclEpTheory]
    [MemberData(nameof(ManyTokenLayers))]
    public void High_throughput_with_many_tokens_matches_the_reference_engine(string layerName, int tokens)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks: 1, seed: tokens, noTokens: false, tokens: tokens);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord ncclEp = Run(spec, source, problem, steps: 1)[0];

        StepAssert.Matches(reference, ncclEp, $"{layerName} with {tokens} tokens on NCCL EP");
    }

    [NcclEpTheory]
    [MemberData(nameof(HighThroughputLayers))]
    public void High_throughput_without_tokens_matches_the_reference_engine(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks: 1, seed: 3, noTokens: true);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord[] ncclEp = Run(spec, source, problem, steps: 2);

        StepAssert.Matches(reference, ncclEp[0], $"{layerName} on NCCL EP, no tokens");
        StepAssert.Matches(reference, ncclEp[1], $"{layerName} on NCCL EP, no tokens, second step");
    }

    /// <summary>
    /// A ZeroCopy layer passes its symmetric buffers to NCCL EP by window (peers write the dispatch output and read the
    /// combine input in place); inside <see cref="EpZeroCopy.Suspend"/> it passes them by address. Both must match the
    /// Reference engine, and the results keep their symmetric type (the generated signatures rely on it).
    /// </summary>
    [NcclEpFact]
    public void Zero_copy_matches_the_reference_engine_with_windows_and_inside_a_suspend_scope()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(ZeroCopyMoe)];
        var problem = new StepProblem(spec, ranks: 1, seed: 29, noTokens: false);
        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];

        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "ZeroCopyMoe");
        StepRecord windows = StagedStep.Run(group, layer, problem, steps: 1)[0];
        StepRecord suspended;
        using (EpZeroCopy.Suspend())
        {
            Assert.False(EpZeroCopy.UsesWindows(spec));
            suspended = StagedStep.Run(group, layer, problem, steps: 1)[0];
        }

        Assert.True(EpZeroCopy.UsesWindows(spec));
        StepAssert.Matches(reference, windows, "ZeroCopy on NCCL EP by window");
        StepAssert.Identical(windows, suspended, "ZeroCopy on NCCL EP, suspended");

        using var tokens = DeviceTensor.Upload(group.Device, problem.Tokens[0], problem.TokenCounts[0], spec.HiddenSize);
        using var idx = DeviceTensor.Upload(group.Device, problem.Idx[0], problem.TokenCounts[0], spec.TopK);
        using var weights = DeviceTensor.Upload(group.Device, problem.Weights[0], problem.TokenCounts[0], spec.TopK);
        EpDispatchResult d = layer.Dispatch(tokens, idx, weights);
        EpPermutedBatch batch = layer.Permute(d);
        Assert.IsType<SymmetricTensor<BFloat16>>(d.Tokens);
        Assert.IsType<SymmetricTensor<BFloat16>>(layer.Unpermute(batch, batch.Tokens));
        layer.Combine(layer.Unpermute(batch, batch.Tokens));
    }

    /// <summary>
    /// NCCL EP LL places each expert's rows in arrival order (its kernels use atomics) and delivers no per-row
    /// weights, so the dispatch rows are compared as each group's multiset and the weights as zeros; counts, offsets,
    /// unused rows (zero) and the weighted Combine (within 1 bf16 ulp) must match exactly as documented.
    /// </summary>
    [NcclEpFact]
    public void Low_latency_matches_the_reference_engine_up_to_row_order_within_an_expert()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(LowLatencyMoe)];
        var problem = new StepProblem(spec, ranks: 1, seed: 21, noTokens: false);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord ncclEp = Run(spec, source, problem, steps: 1)[0];

        Assert.Equal(reference.Integers["dispatch.counts"], ncclEp.Integers["dispatch.counts"]);
        Assert.Equal(reference.Integers["dispatch.offsets"], ncclEp.Integers["dispatch.offsets"]);
        int[] counts = reference.Integers["dispatch.counts"].Select(c => (int)c).ToArray();
        int[] offsets = reference.Integers["dispatch.offsets"].Select(o => (int)o).ToArray();
        foreach (string name in new[] { "dispatch.tokens", "permute.tokens", "unpermute" })
        {
            AssertSameRowsPerGroup(reference.Rows[name], ncclEp.Rows[name], spec.HiddenSize, offsets, counts, name);
        }

        Assert.All(ncclEp.Floats["dispatch.weights"], w => Assert.Equal(0f, w));
        StepAssert.MatchesWithin(reference.Rows["combine"], ncclEp.Rows["combine"], allowedUlps: 1, "LL combine on NCCL EP");
    }

    /// <summary>
    /// LowLatency clears only the rows of each group that the previous step filled and this one does not (outputs
    /// are not poisoned here, so the tracking is what keeps the padding zero): a step that crowds every token into
    /// experts 0..K−1, then a random one, must leave the second step's unused rows zero and match the Reference engine,
    /// in Dispatch's result and in Unpermute's.
    /// </summary>
    [NcclEpFact]
    public void Low_latency_keeps_unused_rows_zero_after_a_step_that_filled_more_rows()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(LowLatencyMoe)];
        int k = spec.TopK;
        var crowded = new StepProblem(spec, ranks: 1, seed: 40, noTokens: false, tokens: spec.MaxTokensPerRank);
        for (int i = 0; i < crowded.Idx[0].Length; i++)
        {
            crowded.Idx[0][i] = i % k;
        }

        var problem = new StepProblem(spec, ranks: 1, seed: 41, noTokens: false);
        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];

        StepRecord ncclEp = Unpoisoned(() =>
        {
            using EpGroup group = OneRankGroup();
            using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
            StagedStep.Run(group, layer, crowded, steps: 1);
            return StagedStep.Run(group, layer, problem, steps: 1)[0];
        });

        int[] counts = reference.Integers["dispatch.counts"].Select(c => (int)c).ToArray();
        int[] offsets = reference.Integers["dispatch.offsets"].Select(o => (int)o).ToArray();
        Assert.Equal(reference.Integers["dispatch.counts"], ncclEp.Integers["dispatch.counts"]);
        Assert.True(counts[0] < spec.MaxTokensPerRank, "the second step must vacate rows of expert 0's group");
        foreach (string name in new[] { "dispatch.tokens", "permute.tokens", "unpermute" })
        {
            AssertSameRowsPerGroup(reference.Rows[name], ncclEp.Rows[name], spec.HiddenSize, offsets, counts, name);
        }
    }

    /// <summary>
    /// A Combine whose input is not Unpermute's result copies it, padding rows included, into the buffer Unpermute
    /// writes: the next step's Unpermute must still return zero unused rows (its padding tracking starts over).
    /// </summary>
    [NcclEpFact]
    public void Low_latency_unpermute_keeps_unused_rows_zero_after_combine_copied_a_caller_tensor_in()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(LowLatencyMoe)];
        var first = new StepProblem(spec, ranks: 1, seed: 42, noTokens: false);
        var second = new StepProblem(spec, ranks: 1, seed: 43, noTokens: false);
        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, second, steps: 1)[0][0];

        StepRecord ncclEp = Unpoisoned(() =>
        {
            using EpGroup group = OneRankGroup();
            using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
            EpDevice device = group.Device;
            int t = first.TokenCounts[0], k = spec.TopK, h = spec.HiddenSize;
            using var tokens = DeviceTensor.Upload(device, first.Tokens[0], t, h);
            using var idx = DeviceTensor.Upload(device, first.Idx[0], t, k);
            using var weights = DeviceTensor.Upload(device, first.Weights[0], t, k);
            EpPermutedBatch batch = layer.Permute(layer.Dispatch(tokens, idx, weights));
            layer.Unpermute(batch, batch.Tokens);
            using var ones = DeviceTensor.Upload(device, Enumerable.Repeat((BFloat16)1f, batch.RowCount * h).ToArray(), batch.RowCount, h);
            layer.Combine(ones);
            return StagedStep.Run(group, layer, second, steps: 1)[0];
        });

        int[] counts = reference.Integers["dispatch.counts"].Select(c => (int)c).ToArray();
        int[] offsets = reference.Integers["dispatch.offsets"].Select(o => (int)o).ToArray();
        AssertSameRowsPerGroup(reference.Rows["unpermute"], ncclEp.Rows["unpermute"], spec.HiddenSize, offsets, counts, "unpermute");
    }

    [NcclEpTheory]
    [InlineData(1, 1, 1L)]   // token 1 names expert 1 in slots 0 and 1: the second occurrence is reported
    [InlineData(3, 2, 16L)]  // id 16 with E = 16: NCCL EP would index out of range
    [InlineData(0, 0, -2L)]  // an id below −1
    public void Bad_routing_is_refused_like_the_reference_before_nccl_ep_sees_it(int token, int slot, long value)
    {
        var reference = EpWorld.RunSimulated(1, EpDevice.Cpu, group => BadRoutingCase.Run(group, token, slot, value, prepared: false))[0];
        using EpGroup group = OneRankGroup();

        Assert.Equal(reference, BadRoutingCase.Run(group, token, slot, value, prepared: false));
    }

    [NcclEpFact]
    public void A_layer_nccl_ep_cannot_run_is_refused_with_every_reason_when_nccl_ep_is_required()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(FlatMoe)];
        EpLayerSpec tooManyTokens = spec with { MaxTokensPerRank = 10_000, RecvCapacityPerRank = 0 };
        using EpGroup group = OneRankGroup(stagedForUnfitLayers: false);

        var error = Assert.Throws<EpConfigurationException>(() => new EpLayerRuntime(group, tooManyTokens, source, "HugeMoe"));

        Assert.Contains("cannot run on NCCL EP", error.Message, StringComparison.Ordinal);
        Assert.Contains("8192", error.Message, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage(error.Message);
    }

    [NcclEpFact]
    public void Auto_runs_a_layer_nccl_ep_cannot_take_on_the_staged_engine_over_the_same_communicator()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(FlatWeightedMoe)];
        EpLayerSpec tooManyTokens = spec with { MaxTokensPerRank = 10_000, RecvCapacityPerRank = 0 };
        var problem = new StepProblem(spec, ranks: 1, seed: 17, noTokens: false);
        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        using EpGroup group = OneRankGroup();
        using var fits = new EpLayerRuntime(group, spec, source, "FlatWeightedMoe");
        using var huge = new EpLayerRuntime(group, tooManyTokens, source, "HugeMoe");

        Assert.Equal((EpEngineKind.NcclEp, EpEngineKind.NcclEp, EpEngineKind.Staged), (group.EngineKind, fits.EngineKind, huge.EngineKind));
        StepAssert.Matches(reference, StagedStep.Run(group, fits, problem, steps: 1)[0], "NcclEp layer beside a Staged one");
        StepAssert.Matches(reference, StagedStep.Run(group, huge, problem, steps: 1)[0], "Staged layer in an NcclEp group");
    }

    public static TheoryData<string, string> RefusedLayers() => new()
    {
        // HT Flat with one rank per node needs an even MaxTokensPerRank (NCCL EP asserts; no compile-time rule knows the node size).
        { "odd tokens for HT Flat", "even" },
        // LowLatency carries at most 9 experts per token (EP0006 at compile time when the value is static).
        { "LL top-k 10", "9" },
        // LowLatency has kernels for a fixed set of hidden sizes only (EP0015).
        { "LL hidden 1024", "1024" },
        // HT ExpertMajor keeps 64 local experts in fixed arrays; more hangs (EP0012).
        { "HT ExpertMajor 128 local experts", "64" },
    };

    /// <summary>
    /// Layers NCCL EP would assert, abort or hang on are refused before any native call, with the limit in the message,
    /// and the process lives on: a good layer on the same group runs afterwards.
    /// </summary>
    [NcclEpTheory]
    [MemberData(nameof(RefusedLayers))]
    public void A_layer_breaking_an_nccl_ep_limit_is_refused_and_the_process_lives_on(string name, string expected)
    {
        (EpLayerSpec flat, string source) = TestLayers.All[nameof(FlatMoe)];
        EpLayerSpec spec = name switch
        {
            "odd tokens for HT Flat" => flat with { MaxTokensPerRank = 41 },
            "LL top-k 10" => TestLayers.All[nameof(LowLatencyMoe)].Spec with { TopK = 10, Experts = 32 },
            "LL hidden 1024" => TestLayers.All[nameof(LowLatencyMoe)].Spec with { HiddenSize = 1024 },
            "HT ExpertMajor 128 local experts" => flat with { Experts = 128, Layout = EpLayout.ExpertMajor },
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown case"),
        };
        using EpGroup group = OneRankGroup(stagedForUnfitLayers: false);

        var error = Assert.Throws<EpConfigurationException>(() => new EpLayerRuntime(group, spec, source, "RefusedMoe"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage($"{name}: {error.Message}");
        var problem = new StepProblem(flat, ranks: 1, seed: 2, noTokens: false);
        using var good = new EpLayerRuntime(group, flat, source, "FlatMoe");
        Assert.NotEmpty(StagedStep.Run(group, good, problem, steps: 1)[0].Rows);
    }

    /// <summary>Symmetric memory: ncclMemAlloc plus a collective window per tensor, zero-filled, released newest first with the engine.</summary>
    [NcclEpFact]
    public void Symmetric_tensors_carry_a_window_and_are_released_with_the_group()
    {
        using EpGroup group = OneRankGroup();
        SymmetricTensor<BFloat16> first = group.AllocateSymmetric<BFloat16>(16, 64);
        SymmetricTensor<float> second = group.AllocateSymmetric<float>(8, 4);

        Assert.NotEqual(IntPtr.Zero, first.Window.NativeHandle);
        Assert.NotEqual(first.Window.Id, second.Window.Id);
        Assert.Equal(0L, first.WindowOffsetBytes);
        Assert.All(first.ToArray(), v => Assert.Equal(0, v.RawBits));
        float[] values = Enumerable.Range(0, 32).Select(i => i * 0.5f).ToArray();
        second.CopyFrom(values);
        Assert.Equal(values, second.ToArray());
        SymmetricTensor<BFloat16> rows = first.SliceRows(4, 2);
        Assert.Equal((first.Window, 4L * 64 * 2), (rows.Window, rows.WindowOffsetBytes));
        // Not disposed here: the group's engine deregisters and frees both, second first, when the world ends.
    }

    internal static void AssertSameRowsPerGroup(ushort[] expected, ushort[] actual, int hidden, int[] offsets, int[] counts, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int e = 0; e < counts.Length; e++)
        {
            List<string> Rows(ushort[] values, int begin, int count) =>
                Enumerable.Range(begin, count).Select(r => string.Join(',', values.Skip(r * hidden).Take(hidden))).Order(StringComparer.Ordinal).ToList();

            Assert.Equal(Rows(expected, offsets[e], counts[e]), Rows(actual, offsets[e], counts[e]));
            int groupEnd = e + 1 < offsets.Length ? offsets[e + 1] : expected.Length / hidden;
            for (int r = offsets[e] + counts[e]; r < groupEnd; r++)
            {
                Assert.True(actual.Skip(r * hidden).Take(hidden).All(v => v == 0), $"{name}: unused row {r} of expert {e} is not zero.");
            }
        }
    }

    private static StepRecord[] Run(EpLayerSpec spec, string source, StepProblem problem, int steps)
    {
        using EpGroup group = OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        return StagedStep.Run(group, layer, problem, steps);
    }

    /// <summary>Runs <paramref name="body"/> with outputs not poisoned (so only the engine keeps padding zero), then poisons again.</summary>
    internal static T Unpoisoned<T>(Func<T> body)
    {
        NcclEpLayer.PoisonOutputs = false;
        try
        {
            return body();
        }
        finally
        {
            NcclEpLayer.PoisonOutputs = true;
        }
    }

    /// <summary>
    /// A group over a one-rank communicator on GPU 0 (<see cref="NcclSingleRankGroup"/>; the group owns it and the engine
    /// borrows it, as from <see cref="EpGroup.FromCommunicator"/>).
    /// </summary>
    /// <param name="stagedForUnfitLayers">null: the Auto engine choice; else an NcclEp engine built directly with that setting.</param>
    internal static EpGroup OneRankGroup(bool? stagedForUnfitLayers = null) => stagedForUnfitLayers is { } staged
        ? NcclSingleRankGroup.Create(EpDevice.Gpu(0), communicator => new NcclEpEngine(communicator, 0, 1, EpDevice.Gpu(0), staged))
        : NcclSingleRankGroup.CreateAuto(EpDevice.Gpu(0));
}
