using System;
using System.Linq;
using System.Text.Json;
using Ep.Bench.Baselines;
using Ep.Bench.Metrics;
using Ep.Bench.Processes;
using Ep.Bench.Report;
using Ep.Bench.Timing;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class ProcessAggregationTests
{
    private static void AssertSpread((double Min, double Median, double Max, int Ranks) expected, RankSpread? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Min, actual.Min, 9);
        Assert.Equal(expected.Median, actual.Median, 9);
        Assert.Equal(expected.Max, actual.Max, 9);
        Assert.Equal(expected.Ranks, actual.Ranks);
    }

    private static RankSamples Rank(double dispatchUs, double combineUs)
    {
        var s = new RankSamples();
        foreach (BenchOperation op in BenchOperations.TrainingStep)
        {
            double us = op switch { BenchOperation.Dispatch => dispatchUs, BenchOperation.Combine => combineUs, _ => 100 };
            s.AddDevice(op, us);
            s.AddDevice(op, us);
            s.AddHost(op, 10);
            s.AddAllocated(op, 0);
        }

        s.AddDevice(BenchOperation.Forward, 900);
        s.AddDevice(BenchOperation.Step, 2000);
        return s;
    }

    [Fact]
    public void Each_rank_gets_its_own_GB_per_s_and_the_column_is_the_median_over_ranks()
    {
        // Rank 0 receives 1 MB in 100 us (10 GB/s), rank 1 receives 3 MB in 100 us (30 GB/s), rank 2 2 MB in 50 us (40 GB/s).
        RankSamples[] samples = [Rank(100, 200), Rank(100, 200), Rank(50, 100)];
        long[] bytes = [1_000_000, 3_000_000, 2_000_000];

        var rows = ProcessAggregation.Rows(samples, bytes, EpAlgorithm.HighThroughput, allToAllMedians: [50, 80, 50]);

        OperationResult dispatch = rows.Single(r => r.Operation == "dispatch");
        AssertSpread((10, 30, 40, 3), dispatch.RankGigabytesPerSecond);
        Assert.Equal(30, dispatch.GigabytesPerSecond!.Value, 9);
        Assert.Equal(6, dispatch.DeviceMicroseconds!.Count); // pooled over ranks, as simulated ranks are
        // a2a time ÷ ours per rank: 0.5, 0.8, 1.0 → median 0.8.
        Assert.Equal(0.8, dispatch.RatioToAllToAll!.Value, 12);
        OperationResult combine = rows.Single(r => r.Operation == "combine");
        Assert.Equal(0.4, combine.RatioToAllToAll!.Value, 12); // 0.25, 0.4, 0.5
        OperationResult permute = rows.Single(r => r.Operation == "permute");
        Assert.Null(permute.RankGigabytesPerSecond);
        Assert.Null(permute.RatioToAllToAll);
        Assert.Null(rows.Single(r => r.Operation == "step").RatioToAllToAll);
    }

    [Fact]
    public void Without_the_baseline_there_is_no_ratio_but_still_the_rank_spread()
    {
        var rows = ProcessAggregation.Rows([Rank(100, 100), Rank(200, 200)], [1_000_000, 1_000_000], EpAlgorithm.HighThroughput, allToAllMedians: null);

        OperationResult dispatch = rows.Single(r => r.Operation == "dispatch");
        Assert.Null(dispatch.RatioToAllToAll);
        AssertSpread((5, 7.5, 10, 2), dispatch.RankGigabytesPerSecond);
    }

    [Fact]
    public void The_all_to_all_figures_are_per_rank_medians_and_their_spread()
    {
        AllToAllResult a = ProcessAggregation.AllToAll([[100.0, 110, 120], [200.0, 210, 220]], [1_100_000, 2_100_000]);

        AssertSpread((110, 160, 210, 2), a.RankMicroseconds);
        AssertSpread((10, 10, 10, 2), a.RankGigabytesPerSecond);
        Assert.Equal(6, a.Microseconds.Count);
    }

    [Fact]
    public void Ep_bench_fills_dispatch_and_combine_and_the_ratio_lines_name_each_engine()
    {
        var rows = ProcessAggregation.Rows([Rank(100, 200), Rank(100, 200)], [10_000_000, 10_000_000], EpAlgorithm.HighThroughput, [80, 80]);
        var staged = new EngineResult("staged", "ok", "rank 0 of 2 process(es)", 2, rows, null);
        var ncclEp = ProcessAggregation.WithEpBench(new EngineResult("nccl-ep", "ok", "NCCL EP", 2, rows, null),
            new EpBenchFigures(new(90, 125), new(180, 40), null, null));
        var skipped = new EngineResult("reference", "skipped", "no", 2, [], null);

        OperationResult dispatch = ncclEp.Operations.Single(r => r.Operation == "dispatch");
        Assert.Equal(125, dispatch.EpBenchGigabytesPerSecond);
        Assert.Equal(100.0 / 125, dispatch.RatioToEpBench!.Value, 12);
        Assert.Null(ncclEp.Operations.Single(r => r.Operation == "combine-backward").EpBenchGigabytesPerSecond);

        var lines = ProcessAggregation.RatioLines([staged, ncclEp, skipped]);

        Assert.Equal(
        [
            "staged ÷ all-to-all: dispatch 0.80, combine 0.40, combine-backward 0.80, dispatch-backward 0.80",
            "nccl-ep ÷ all-to-all: dispatch 0.80, combine 0.40, combine-backward 0.80, dispatch-backward 0.80",
            "nccl-ep ÷ ep_bench: dispatch 0.80, combine 1.25",
        ], lines);
    }

    [Fact]
    public void The_median_of_an_even_number_of_ranks_is_between_the_middle_two_and_non_finite_values_are_left_out()
    {
        Assert.Equal(new RankSpread(1, 2.5, 4, 4), RankSpread.Of([4, 1, 3, 2, null, double.NaN]));
        Assert.Null(RankSpread.Of([null, double.PositiveInfinity]));
    }

    private static BenchReport ProcessReport()
    {
        var rows = ProcessAggregation.Rows([Rank(100, 200), Rank(120, 220)], [10_000_000, 12_000_000], EpAlgorithm.HighThroughput, [80, 90]);
        var figures = new EpBenchFigures(new(90, 125), new(180, 60), null, null);
        return new BenchReport("Ep.Bench", "2026-01-01T00:00:00Z", "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs), one per rank, 2 rank(s)",
            new LayerConfiguration("ht-flat", "HT Flat", 4096, 7168, 8, 256, false, 10, 50), null, "not run in a process run",
            new EpBenchResult("mpirun --allow-run-as-root -np 2 ep_bench --algorithm ht", figures, null, 2),
            [
                new EngineResult("staged", "ok", "rank 0 of 2 process(es)", 2, rows, null),
                ProcessAggregation.WithEpBench(new EngineResult("nccl-ep", "ok", "NCCL EP 0.1.0", 2, rows, null), figures),
            ],
            new ProcessRun(2, "rank 0 of 2 (EP_RANK, EP_WORLD_SIZE)", ProcessAggregation.AllToAll([[80.0], [90.0]], [10_000_000, 12_000_000]), null));
    }

    [Fact]
    public void The_table_of_a_process_run_has_the_rank_columns_the_baseline_and_the_ratio_lines()
    {
        string text = TableWriter.Write(ProcessReport());

        Assert.Contains("Processes: 2 rank(s), one GPU each", text, StringComparison.Ordinal);
        Assert.Contains("All-to-all baseline (plain NCCL", text, StringComparison.Ordinal);
        Assert.Contains("11.00 MB/rank received in 85.0 us (ranks 80.0..90.0) = 129.2 GB/s per rank (ranks 125.0..133.3)", text, StringComparison.Ordinal);
        Assert.Contains("ep_bench (same run, 2 ranks): dispatch 90.0 us = 125.0 GB/s", text, StringComparison.Ordinal);
        Assert.Contains("rank GB/s min..max", text, StringComparison.Ordinal);
        Assert.Matches(@"dispatch\s+110\.0\s+100\.0\.\.120\.0\s+10\.0\s+10\.0\.\.10\.0\s+11\.00\s+100\.0\s+100\.0\.\.100\.0\s+0\.78\s", text);
        Assert.Contains("staged ÷ all-to-all: dispatch 0.78", text, StringComparison.Ordinal);
        Assert.Contains("nccl-ep ÷ ep_bench: dispatch 0.80, combine 0.87", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_of_a_process_run_has_the_baseline_and_the_rank_spread()
    {
        using JsonDocument json = JsonDocument.Parse(JsonReportWriter.Serialize(ProcessReport()));
        JsonElement processes = json.RootElement.GetProperty("processes");
        JsonElement dispatch = json.RootElement.GetProperty("engines")[0].GetProperty("operations")[0];

        Assert.Equal(2, processes.GetProperty("ranks").GetInt32());
        Assert.Equal(125.0, processes.GetProperty("allToAll").GetProperty("rankGigabytesPerSecond").GetProperty("min").GetDouble(), 9);
        Assert.Equal(100.0, dispatch.GetProperty("rankGigabytesPerSecond").GetProperty("median").GetDouble(), 9);
        Assert.True(dispatch.TryGetProperty("ratioToAllToAll", out _));
        Assert.Equal(2, json.RootElement.GetProperty("epBench").GetProperty("ranks").GetInt32());
    }

    [Fact]
    public void A_one_process_table_keeps_its_columns()
    {
        var rows = Engines.EngineRunner.Rows([Rank(100, 200)], [1_000_000], EpAlgorithm.HighThroughput, null);
        var report = new BenchReport("Ep.Bench", "t", null, new LayerConfiguration("ht-flat", "HT Flat", 4096, 7168, 8, 256, false, 1, 2), null, null, null,
            [new EngineResult("staged", "ok", "r", 1, rows, null)]);

        string text = TableWriter.Write(report);

        Assert.DoesNotContain("ours/a2a", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Processes:", text, StringComparison.Ordinal);
    }
}
