using System;
using Ep.Bench.Engines;
using Ep.Bench.Graphs;
using Ep.Bench.Timing;
using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class CudaGraphSupportTests
{
    // Engines travel by name: the bench's types are internal, and theory parameters of public tests must be public.
    public static TheoryData<string, EpAlgorithm> EveryEngineAndAlgorithm()
    {
        var data = new TheoryData<string, EpAlgorithm>();
        foreach (BenchEngine engine in Enum.GetValues<BenchEngine>())
        {
            foreach (EpAlgorithm algorithm in Enum.GetValues<EpAlgorithm>())
            {
                data.Add(engine.ToString(), algorithm);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryEngineAndAlgorithm))]
    public void Only_the_nccl_ep_step_is_capturable_and_each_row_says_why(string engine, EpAlgorithm algorithm)
    {
        CudaGraphDecision decision = CudaGraphSupport.Decide(Enum.Parse<BenchEngine>(engine), Spec(algorithm), ranks: 1);

        Assert.Equal(engine == nameof(BenchEngine.NcclEp), decision.Capturable);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
        Assert.Null(decision.Replay);
    }

    [Fact]
    public void Replay_timing_sets_the_replays_beside_eager_dispatch_plus_combine()
    {
        var samples = new RankSamples();
        foreach (double us in new[] { 40.0, 42, 44 })
        {
            samples.GraphDevice.Add(us);
            samples.GraphHost.Add(us / 10);
            samples.GraphAllocated.Add(0);
        }

        samples.AddDevice(BenchOperation.Dispatch, 60);
        samples.AddDevice(BenchOperation.Combine, 24);
        samples.AddHost(BenchOperation.Dispatch, 100);
        samples.AddHost(BenchOperation.Combine, 5);
        CudaGraphDecision decision = CudaGraphSupport.Decide(BenchEngine.NcclEp, Spec(EpAlgorithm.LowLatency), ranks: 1);

        var epBench = new Ep.Bench.Baselines.EpBenchFigures(new(44, null), new(40, null), null, null);
        CudaGraphTiming replay = GraphReplay.With(decision, [samples], EpAlgorithm.LowLatency, epBench)!.Replay!;

        Assert.Equal((42.0, 84.0, 2.0), (replay.Device.Median, replay.EagerDevice!.Value, replay.DeviceSpeedup!.Value));
        Assert.Equal((4.2, 105.0), (replay.Host.Median, replay.EagerHost!.Value));
        Assert.Equal(25.0, replay.HostSpeedup!.Value, precision: 9);
        Assert.Equal((84.0, 2.0), (replay.EpBenchDevice!.Value, replay.EpBenchRatio!.Value));
        Assert.Null(replay.Parts); // no events inside the graph in these samples

        samples.GraphParts.Add([3, 2, 30, 5, 40, 20, 35]);
        samples.GraphParts.Add([5, 2, 34, 5, 46, 18, 41]);
        samples.GraphHandleRebuilds = new HandleRebuilds(60, 60);
        GraphSplit parts = GraphReplay.With(decision, [samples], EpAlgorithm.LowLatency, epBench)!.Replay!.Parts!;
        Assert.Equal((4.0, 32.0, 43.0, 19.0), (parts.RoutingCheck, parts.NativeDispatch, parts.DispatchPart, parts.CombinePart));
        Assert.Equal(44.0 / 43.0, parts.DispatchRatio!.Value, precision: 9);
        Assert.Equal(40.0 / 19.0, parts.CombineRatio!.Value, precision: 9);
        Assert.Null(parts.HandleRebuilds); // LowLatency's update is a host-side copy: nothing to count
        Assert.Null(GraphReplay.With(decision, [new RankSamples()], EpAlgorithm.LowLatency)!.Replay); // nothing replayed: no timing
        Assert.Null(GraphReplay.With(null, [samples], EpAlgorithm.LowLatency));
    }

    /// <summary>A HighThroughput graph runs Permute and Unpermute too: it is set beside the eager forward span, not Dispatch + Combine.</summary>
    [Fact]
    public void A_high_throughput_replay_is_set_beside_the_eager_forward()
    {
        var samples = new RankSamples();
        samples.GraphDevice.Add(300);
        samples.GraphHost.Add(3);
        samples.GraphAllocated.Add(0);
        samples.AddDevice(BenchOperation.Dispatch, 330);
        samples.AddDevice(BenchOperation.Combine, 130);
        samples.AddDevice(BenchOperation.Forward, 600);
        samples.AddHost(BenchOperation.Forward, 90);
        CudaGraphDecision decision = CudaGraphSupport.Decide(BenchEngine.NcclEp, Spec(EpAlgorithm.HighThroughput), ranks: 1);

        CudaGraphTiming replay = GraphReplay.With(decision, [samples], EpAlgorithm.HighThroughput)!.Replay!;

        Assert.Equal((600.0, 90.0, 2.0), (replay.EagerDevice!.Value, replay.EagerHost!.Value, replay.DeviceSpeedup!.Value));
        Assert.Contains("Unpermute", replay.Work, StringComparison.Ordinal);
        Assert.Contains("forward", replay.EagerWork, StringComparison.Ordinal);
    }

    /// <summary>
    /// A HighThroughput replay's Dispatch part ends with ncclEpDispatch (Permute, the fourth part, is not Dispatch's work,
    /// as in eager steps), and says in how many replays the handle was rebuilt.
    /// </summary>
    [Fact]
    public void A_high_throughput_dispatch_part_ends_with_nccl_ep_dispatch()
    {
        var samples = new RankSamples();
        samples.GraphDevice.Add(800);
        samples.GraphHost.Add(3);
        samples.GraphAllocated.Add(0);
        samples.GraphParts.Add([12, 1, 250, 240, 263, 300, 266]);
        samples.GraphHandleRebuilds = new HandleRebuilds(1, 60);
        CudaGraphDecision decision = CudaGraphSupport.Decide(BenchEngine.NcclEp, Spec(EpAlgorithm.HighThroughput), ranks: 1);
        var epBench = new Ep.Bench.Baselines.EpBenchFigures(new(263, null), new(300, null), null, null);

        GraphSplit parts = GraphReplay.With(decision, [samples], EpAlgorithm.HighThroughput, epBench)!.Replay!.Parts!;

        Assert.Equal((263.0, 240.0, 1.0, 266.0), (parts.DispatchPart, parts.Layout, parts.DispatchRatio!.Value, parts.SplitDispatchPart));
        Assert.Equal(new HandleRebuilds(1, 60), parts.HandleRebuilds);
        Assert.Equal(3, GraphTimer.DispatchPartEnd(lowLatency: false)); // after ncclEpDispatch
        Assert.Equal(NcclEpMarks.BeforeExperts, GraphTimer.DispatchPartEnd(lowLatency: true)); // after the padding upkeep
    }

    /// <summary>A captured HighThroughput training step is set beside the eager forward + backward span; a forward-only run has no training row.</summary>
    [Fact]
    public void A_training_replay_is_set_beside_the_eager_step()
    {
        var samples = new RankSamples();
        samples.GraphDevice.Add(1000);
        samples.GraphHost.Add(9);
        samples.GraphAllocated.Add(0);
        samples.AddDevice(BenchOperation.Forward, 1100);
        samples.AddDevice(BenchOperation.Step, 2400);
        samples.AddHost(BenchOperation.Step, 600);
        CudaGraphDecision decision = CudaGraphSupport.Decide(BenchEngine.NcclEp, Spec(EpAlgorithm.HighThroughput), ranks: 1);
        Assert.Null(GraphReplay.With(decision, [samples], EpAlgorithm.HighThroughput)!.TrainingReplay);

        foreach (double us in new[] { 1900.0, 2000, 2100 })
        {
            samples.TrainingGraphDevice.Add(us);
            samples.TrainingGraphHost.Add(12);
            samples.TrainingGraphAllocated.Add(0);
        }

        CudaGraphTiming training = GraphReplay.With(decision, [samples], EpAlgorithm.HighThroughput)!.TrainingReplay!;

        Assert.Equal((2000.0, 2400.0, 1.2), (training.Device.Median, training.EagerDevice!.Value, training.DeviceSpeedup!.Value));
        Assert.Equal((12.0, 50.0), (training.Host.Median, training.HostSpeedup!.Value));
        Assert.Contains("DispatchBackward", training.Work, StringComparison.Ordinal);
        Assert.Contains("forward + backward", training.EagerWork, StringComparison.Ordinal);
        Assert.Null(training.EpBenchDevice);
    }

    /// <summary>A HighThroughput layer whose receive capacity is below the dropless worst case is not captured (NCCL EP would trap on an overflow).</summary>
    [Fact]
    public void A_high_throughput_layer_that_can_overflow_is_not_capturable()
    {
        EpLayerSpec tight = Spec(EpAlgorithm.HighThroughput) with { RecvCapacityPerRank = 1000 };
        CudaGraphDecision decision = CudaGraphSupport.Decide(BenchEngine.NcclEp, tight, ranks: 1);

        Assert.False(decision.Capturable);
        Assert.Contains("RecvCapacityPerRank = 1000", decision.Reason, StringComparison.Ordinal);
        Assert.True(CudaGraphSupport.Decide(BenchEngine.NcclEp, tight with { RecvCapacityPerRank = 4096 }, ranks: 1).Capturable);
    }

    [Theory]
    [InlineData(nameof(BenchEngine.Staged), EpAlgorithm.HighThroughput, "reads the routing counts back")]
    [InlineData(nameof(BenchEngine.Staged), EpAlgorithm.LowLatency, "host barriers")]
    [InlineData(nameof(BenchEngine.NcclEp), EpAlgorithm.HighThroughput, "receive buffers are dropless")]
    [InlineData(nameof(BenchEngine.NcclEp), EpAlgorithm.LowLatency, "one CUDA graph")]
    [InlineData(nameof(BenchEngine.Reference), EpAlgorithm.HighThroughput, "runs on the CPU")]
    public void The_reason_names_what_blocks_capture(string engine, EpAlgorithm algorithm, string expected)
    {
        Assert.Contains(expected, CudaGraphSupport.Decide(Enum.Parse<BenchEngine>(engine), Spec(algorithm), ranks: 1).Reason, StringComparison.Ordinal);
    }

    /// <summary>ep_bench's default layer for <paramref name="algorithm"/> (HT 4096 tokens, LL 128).</summary>
    private static EpLayerSpec Spec(EpAlgorithm algorithm) => new()
    {
        Experts = 256,
        TopK = 8,
        HiddenSize = 7168,
        MaxTokensPerRank = algorithm == EpAlgorithm.LowLatency ? 128 : 4096,
        Algorithm = algorithm,
        Layout = algorithm == EpAlgorithm.LowLatency ? EpLayout.ExpertMajor : EpLayout.Flat,
    };
}
