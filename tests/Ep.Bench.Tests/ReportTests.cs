using System;
using System.Text.Json;
using Ep.Bench.Baselines;
using Ep.Bench.Graphs;
using Ep.Bench.Metrics;
using Ep.Bench.Report;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class ReportTests
{
    private static BenchReport Sample()
    {
        var device = SampleSummary.Of([400.0, 410.0, 420.0]);
        var host = SampleSummary.Of([30.0, 31.0, 35.0]);
        var dispatch = new OperationResult("dispatch", device, host, 58_720_256, 143.2, 143.2, 142.33, 143.2 / 142.33);
        var permute = new OperationResult("permute", device, host, null, null, null, null, null);
        return new BenchReport("Ep.Bench", "2026-01-01T00:00:00Z", "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)",
            new LayerConfiguration("ht-flat", "HT Flat", 4096, 7168, 8, 256, false, 10, 50),
            new CopyBaseline(58_720_256, SampleSummary.Of([40.0]), 1468.0), null,
            new EpBenchResult("mpirun --allow-run-as-root -np 1 ep_bench --algorithm ht", new EpBenchFigures(new(412.57, 142.33), new(388.9, 150.99), null, null), null),
            [
                new EngineResult("nccl-ep", "ok", "NCCL EP 0.1.0 on NCCL 2.30.7", 1, [dispatch, permute], new CudaGraphDecision(false, "blocks the host")),
                new EngineResult("staged", "skipped", "no CUDA device", 1, [], null),
            ]);
    }

    [Fact]
    public void The_table_shows_each_engine_its_rows_and_the_baselines()
    {
        string text = TableWriter.Write(Sample());

        Assert.Contains("ht-flat: HT Flat, 4096 tokens/rank, hidden 7168, top-8, 256 experts", text, StringComparison.Ordinal);
        Assert.Contains("1468.0 GB/s copied", text, StringComparison.Ordinal);
        Assert.Contains("ep_bench (same run, 1 rank): dispatch 412.6 us = 142.3 GB/s", text, StringComparison.Ordinal);
        Assert.Contains("[nccl-ep, 1 rank(s)] ok: NCCL EP 0.1.0", text, StringComparison.Ordinal);
        Assert.Contains("CUDA graph: not capturable: blocks the host", text, StringComparison.Ordinal);
        Assert.Contains("[staged, 1 rank(s)] skipped: no CUDA device", text, StringComparison.Ordinal);
        Assert.Matches(@"dispatch\s+410\.0\s+402\.0\.\.418\.0\s+31\.0\s+30\.2\.\.34\.2\s+58\.72\s+143\.2\s+143\.2\s+142\.3\s+1\.01", text);
        Assert.Matches(@"permute\s+410\.0.*\s-\s+-\s+-\s+-\s+-\r?\n", text);
    }

    /// <summary>The host round trip, measured on a GPU, is printed beside the copy baseline and written to the JSON; without one, neither.</summary>
    [Fact]
    public void The_host_round_trip_is_reported_when_measured()
    {
        BenchReport report = Sample() with { HostRoundTripMicroseconds = SampleSummary.Of([9.0, 10.0, 14.0]) };

        string text = TableWriter.Write(report);
        using JsonDocument json = JsonDocument.Parse(JsonReportWriter.Serialize(report));

        Assert.Matches(@"Host round trip \(same process\): .* take 10\.0 us on the host \(p10 9\.2, p90 13\.2\)", text);
        Assert.Equal(10.0, json.RootElement.GetProperty("hostRoundTripMicroseconds").GetProperty("median").GetDouble());
        Assert.DoesNotContain("Host round trip", TableWriter.Write(Sample()), StringComparison.Ordinal);
    }

    /// <summary>
    /// NcclEp's Dispatch split: the host parts with the routing record's read-back inside the agreement (the device split
    /// has none), the native call beside ep_bench's, and Ep's own host time with both parts of the agreement.
    /// </summary>
    [Fact]
    public void The_dispatch_split_shows_the_routing_read_back_inside_the_agreement()
    {
        BenchReport sample = Sample();
        var split = new DispatchSplit(21.3, 0.1, 4.5, 6.4, RoutingReadBack: 14.2);
        EngineResult ncclEp = sample.Engines[0] with
        {
            DispatchSplit = split, DeviceDispatchSplit = new DispatchSplit(21.6, 1.3, 39.4, 9.6),
            OwnHostTime = new OwnHostTime(28.6, 0.4, 21.3, 14.2, ManagedDispatch: 1.7, ManagedCombine: 0.2, ClockCostPerCall: 0.031,
                ManagedDispatchByPart: new ManagedDispatchParts(0.12, 0.3, 0.55, 0.25, 0.41), ClockCostPerRead: 0.019),
            PrepareDispatch = new PrepareDispatchCost(SampleSummary.Of([11.0, 12.0, 13.0]), SampleSummary.Of([0.0, 0.0, 24.0])),
        };

        string text = TableWriter.Write(sample with { Engines = [ncclEp, sample.Engines[1]] });

        Assert.Contains("dispatch host split (p50): routing agreement 21.3 us (its read-back and wait 14.2 us), ncclEpUpdateHandle 0.1 us, ncclEpDispatch 4.5 us (ep_bench's ncclEpDispatch 412.6 us", text, StringComparison.Ordinal);
        Assert.Contains("routing agreement 21.6 us, ncclEpUpdateHandle 1.3 us, ncclEpDispatch 39.4 us", text, StringComparison.Ordinal);
        Assert.Contains("dispatch 28.6 us (of which the routing agreement 21.3 us, 14.2 us of it the record's read-back and wait:", text, StringComparison.Ordinal);
        Assert.Contains("Ep's managed code alone (the call minus every native call, CUDA's too, and the timing's own 31 ns per native call and 19 ns per clock read of the split, p50): dispatch 1.7 us, combine 0.2 us", text, StringComparison.Ordinal);
        Assert.Contains("dispatch's managed code by part (p50 each): tensor checks 0.12 us, routing agreement 0.30 us, up to and including ncclEpDispatch 0.55 us, layout 0.25 us, outside the engine's Dispatch 0.41 us", text, StringComparison.Ordinal);
        Assert.Contains("PrepareDispatch (before each step, outside its spans): host p50 12.0 us (p10 11.2, p90 12.8), allocated per call p50 0 B (max 24)", text, StringComparison.Ordinal);
    }

    /// <summary>A captured training step's replays get their own line beside the eager step, and their own JSON object.</summary>
    [Fact]
    public void A_training_replay_is_reported_in_the_table_and_the_json()
    {
        var replay = new CudaGraphTiming(SampleSummary.Of([1000.0]), SampleSummary.Of([6.0]), SampleSummary.Of([0.0]), 950.0, 220.0, LowLatency: false);
        var training = new CudaGraphTiming(SampleSummary.Of([1780.0, 1800.0, 1820.0]), SampleSummary.Of([4.0]), SampleSummary.Of([0.0]), 1750.0, 400.0,
            LowLatency: false, Training: true);
        BenchReport report = Sample() with
        {
            Engines = [new EngineResult("nccl-ep", "ok", "NCCL EP", 1, [], new CudaGraphDecision(true, "one graph", replay, training))],
        };

        string text = TableWriter.Write(report);
        using JsonDocument json = JsonDocument.Parse(JsonReportWriter.Serialize(report));

        Assert.Contains("CUDA graph replay, training step (the forward step, then CombineBackward", text, StringComparison.Ordinal);
        Assert.Matches(@"training step \(.*\): device p50 1800\.0 us \(p10 [0-9.]+, p90 [0-9.]+\) vs the eager forward \+ backward step 1750\.0 us = 1\.0 ×", text);
        Assert.Contains("host per Replay() p50 4.0 us vs eager 400.0 us = 100.0 ×; allocated per Replay() 0 B", text, StringComparison.Ordinal);
        JsonElement graph = json.RootElement.GetProperty("engines")[0].GetProperty("cudaGraph");
        Assert.Equal(1800.0, graph.GetProperty("trainingReplay").GetProperty("device").GetProperty("median").GetDouble());
        Assert.True(graph.GetProperty("trainingReplay").GetProperty("training").GetBoolean());
    }

    /// <summary>A HighThroughput replay's parts: the Dispatch part up to ncclEpDispatch, Permute apart, and how often the handle was rebuilt.</summary>
    [Fact]
    public void A_high_throughput_replay_reports_its_parts_and_handle_rebuilds()
    {
        var parts = new GraphSplit(12.0, 1.5, 250.0, 240.0, 262.0, 350.0, 263.5, 269.0, 300.0, new HandleRebuilds(1, 60));
        var replay = new CudaGraphTiming(SampleSummary.Of([860.0]), SampleSummary.Of([5.0]), SampleSummary.Of([0.0]), 950.0, 220.0, Parts: parts,
            LowLatency: false);
        BenchReport report = Sample() with
        {
            Engines = [new EngineResult("nccl-ep", "ok", "NCCL EP", 1, [], new CudaGraphDecision(true, "one graph", replay))],
        };

        string text = TableWriter.Write(report);
        using JsonDocument json = JsonDocument.Parse(JsonReportWriter.Serialize(report));

        Assert.Contains("ncclEpUpdateHandle 1.5 us (the handle rebuilt in 1 of 60 replays), ncclEpDispatch 250.0 us = 263.5 us; Permute 240.0 us", text,
            StringComparison.Ordinal);
        Assert.Contains("events only at their ends): Dispatch part 262.0 us (ep_bench's dispatch ÷ it: 1.03); Unpermute + Combine part 350.0 us", text,
            StringComparison.Ordinal);
        JsonElement rebuilds = json.RootElement.GetProperty("engines")[0].GetProperty("cudaGraph").GetProperty("replay").GetProperty("parts").GetProperty("handleRebuilds");
        Assert.Equal((1, 60), (rebuilds.GetProperty("rebuilt").GetInt64(), rebuilds.GetProperty("replays").GetInt32()));
    }

    /// <summary>A LowLatency replay's Dispatch part includes its layout upkeep, timed apart from the split's events; no handle rebuilds are counted.</summary>
    [Fact]
    public void A_low_latency_replay_reports_its_layout_inside_the_dispatch_part()
    {
        var parts = new GraphSplit(6.7, 1.2, 35.6, 4.5, 44.0, 26.1, 48.0, 40.0, 30.0);
        var replay = new CudaGraphTiming(SampleSummary.Of([67.9]), SampleSummary.Of([2.5]), SampleSummary.Of([0.0]), 107.6, 39.9, Parts: parts);
        BenchReport report = Sample() with
        {
            Engines = [new EngineResult("nccl-ep", "ok", "NCCL EP", 1, [], new CudaGraphDecision(true, "one graph", replay))],
        };

        string text = TableWriter.Write(report);

        Assert.Contains("ncclEpUpdateHandle 1.2 us, ncclEpDispatch 35.6 us, layout 4.5 us = 48.0 us", text, StringComparison.Ordinal);
        Assert.Contains("Dispatch part 44.0 us (ep_bench's dispatch ÷ it: 0.91); Combine part 26.1 us (ep_bench's combine ÷ it: 1.15)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_has_every_number_as_a_number()
    {
        using JsonDocument json = JsonDocument.Parse(JsonReportWriter.Serialize(Sample()));
        JsonElement dispatch = json.RootElement.GetProperty("engines")[0].GetProperty("operations")[0];

        Assert.Equal(410.0, dispatch.GetProperty("deviceMicroseconds").GetProperty("median").GetDouble());
        Assert.Equal(58_720_256, dispatch.GetProperty("bytesPerRank").GetDouble());
        Assert.Equal(142.33, json.RootElement.GetProperty("epBench").GetProperty("figures").GetProperty("dispatch").GetProperty("gigabytesPerSecond").GetDouble());
        Assert.False(json.RootElement.GetProperty("engines")[0].GetProperty("cudaGraph").GetProperty("capturable").GetBoolean());
        Assert.False(json.RootElement.GetProperty("engines")[0].GetProperty("operations")[1].TryGetProperty("gigabytesPerSecond", out _));
    }
}
