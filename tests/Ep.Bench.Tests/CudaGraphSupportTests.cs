using System;
using Ep.Bench.Engines;
using Ep.Bench.Graphs;
using Ep.Bench.Timing;
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
    public void Only_the_nccl_ep_low_latency_step_is_capturable_and_each_row_says_why(string engine, EpAlgorithm algorithm)
    {
        CudaGraphDecision decision = CudaGraphSupport.Decide(Enum.Parse<BenchEngine>(engine), algorithm);

        Assert.Equal(engine == nameof(BenchEngine.NcclEp) && algorithm == EpAlgorithm.LowLatency, decision.Capturable);
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
        CudaGraphDecision decision = CudaGraphSupport.Decide(BenchEngine.NcclEp, EpAlgorithm.LowLatency);

        var epBench = new Ep.Bench.Baselines.EpBenchFigures(new(44, null), new(40, null), null, null);
        CudaGraphTiming replay = GraphReplay.With(decision, [samples], epBench)!.Replay!;

        Assert.Equal((42.0, 84.0, 2.0), (replay.Device.Median, replay.EagerDevice!.Value, replay.DeviceSpeedup!.Value));
        Assert.Equal((4.2, 105.0), (replay.Host.Median, replay.EagerHost!.Value));
        Assert.Equal(25.0, replay.HostSpeedup!.Value, precision: 9);
        Assert.Equal((84.0, 2.0), (replay.EpBenchDevice!.Value, replay.EpBenchRatio!.Value));
        Assert.Null(replay.Parts); // no events inside the graph in these samples

        samples.GraphParts.Add([3, 2, 30, 5, 40, 20]);
        samples.GraphParts.Add([5, 2, 34, 5, 46, 18]);
        GraphSplit parts = GraphReplay.With(decision, [samples], epBench)!.Replay!.Parts!;
        Assert.Equal((4.0, 32.0, 43.0, 19.0), (parts.RoutingCheck, parts.NativeDispatch, parts.DispatchPart, parts.CombinePart));
        Assert.Equal(44.0 / 43.0, parts.DispatchRatio!.Value, precision: 9);
        Assert.Equal(40.0 / 19.0, parts.CombineRatio!.Value, precision: 9);
        Assert.Null(GraphReplay.With(decision, [new RankSamples()])!.Replay); // nothing replayed: no timing
        Assert.Null(GraphReplay.With(null, [samples]));
    }

    [Theory]
    [InlineData(nameof(BenchEngine.Staged), EpAlgorithm.HighThroughput, "reads the routing counts back")]
    [InlineData(nameof(BenchEngine.Staged), EpAlgorithm.LowLatency, "host barriers")]
    [InlineData(nameof(BenchEngine.NcclEp), EpAlgorithm.HighThroughput, "blocks the host inside ncclEpDispatch")]
    [InlineData(nameof(BenchEngine.NcclEp), EpAlgorithm.LowLatency, "one CUDA graph")]
    [InlineData(nameof(BenchEngine.Reference), EpAlgorithm.HighThroughput, "runs on the CPU")]
    public void The_reason_names_what_blocks_capture(string engine, EpAlgorithm algorithm, string expected)
    {
        Assert.Contains(expected, CudaGraphSupport.Decide(Enum.Parse<BenchEngine>(engine), algorithm).Reason, StringComparison.Ordinal);
    }
}
