using Ep.Engines.NcclEp;
using Ep.Gpu.Tests.NcclEp;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>
/// PrepareDispatch then Dispatch(tokens, routing) on the GPU engines: the same step as Dispatch(tokens, ids, weights) —
/// on NcclEp, whose routing record and gather start at PrepareDispatch and whose Dispatch only waits for their
/// read-back, and on Staged, whose routing record starts at PrepareDispatch and is gathered by the Dispatch — and bad
/// routing thrown by the Dispatch before NCCL EP sees it.
/// </summary>
public sealed class PreparedDispatchGpuTests
{
    static PreparedDispatchGpuTests()
    {
        NcclEpLayer.PoisonOutputs = true;
    }

    public static TheoryData<string> HighThroughputLayers() => new(TestLayers.HighThroughput);

    [NcclEpTheory]
    [MemberData(nameof(HighThroughputLayers))]
    public void High_throughput_prepared_steps_equal_the_plain_ones_on_nccl_ep(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks: 1, seed: 31 + layerName.Length, noTokens: false);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord[] plain = RunNcclEp(spec, source, problem, prepared: false);
        StepRecord[] prepared = RunNcclEp(spec, source, problem, prepared: true);

        StepAssert.Matches(reference, prepared[0], $"{layerName}, prepared, on NCCL EP");
        // The second step repeats the routing: the handle is kept, as in a plain Dispatch.
        StepAssert.Identical(plain[0], prepared[0], $"{layerName}, prepared against plain");
        StepAssert.Identical(plain[1], prepared[1], $"{layerName}, prepared against plain, second step");
    }

    [NcclEpFact]
    public void Low_latency_prepared_steps_equal_the_plain_ones_on_nccl_ep()
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(LowLatencyMoe)];
        var problem = new StepProblem(spec, ranks: 1, seed: 37, noTokens: false);

        StepRecord reference = StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[0][0];
        StepRecord[] prepared = RunNcclEp(spec, source, problem, prepared: true);

        StepAssert.MatchesUpToRowOrderWithinExperts(reference, prepared[0], spec.HiddenSize, "LL, prepared, on NCCL EP");
        StepAssert.MatchesWithin(reference.Rows["combine"], prepared[1].Rows["combine"], allowedUlps: 1, "LL combine, prepared, second step");
    }

    /// <remarks>
    /// LowLatency updates NCCL EP's handle at PrepareDispatch, before the checks pass: after a Dispatch that threw, the
    /// next prepared step must still combine with its own ids.
    /// </remarks>
    [NcclEpTheory]
    [InlineData(1, 1, 1L, nameof(FlatWeightedMoe))]   // a repeat of slot 0's expert
    [InlineData(3, 2, 16L, nameof(FlatWeightedMoe))]  // id 16 with E = 16
    [InlineData(1, 1, 1L, nameof(LowLatencyMoe))]
    [InlineData(3, 2, 16L, nameof(LowLatencyMoe))]
    public void Bad_prepared_routing_is_thrown_by_the_dispatch_like_the_reference_before_nccl_ep_sees_it(int token, int slot, long value, string layerName)
    {
        var reference = EpWorld.RunSimulated(1, EpDevice.Cpu, group => BadRoutingCase.Run(group, token, slot, value, prepared: true, layerName))[0];
        using EpGroup group = NcclEpEngineTests.OneRankGroup();

        Assert.True(reference.CombinedIsTokens, $"{layerName}: the Reference engine's good step did not give the tokens back");
        Assert.Equal(reference, BadRoutingCase.Run(group, token, slot, value, prepared: true, layerName));
    }

    [GpuTheory]
    [InlineData(nameof(FlatWeightedMoe))]
    [InlineData(nameof(LowLatencyMoe))]
    public void Prepared_steps_equal_the_plain_ones_on_staged_ranks(string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, ranks: 2, seed: 41, noTokens: false);

        StepRecord[][] plain = StagedStep.RunSimulatedWorld(EpDevice.Gpu(0), spec, source, problem, steps: 1);
        StepRecord[][] prepared = StagedStep.RunSimulatedWorld(EpDevice.Gpu(0), spec, source, problem, steps: 1, prepared: true);
        for (int rank = 0; rank < plain.Length; rank++)
        {
            StepAssert.Identical(plain[rank][0], prepared[rank][0], $"{layerName}, rank {rank}, prepared against plain on Staged");
        }
    }

    private static StepRecord[] RunNcclEp(EpLayerSpec spec, string source, StepProblem problem, bool prepared)
    {
        using EpGroup group = NcclEpEngineTests.OneRankGroup();
        using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
        return StagedStep.Run(group, layer, problem, steps: 2, prepared);
    }
}
