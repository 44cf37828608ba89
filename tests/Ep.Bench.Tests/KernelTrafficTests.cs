using Ep.Bench.Kernels;
using Ep.Bench.Layers;
using Ep.Bench.Memory;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Xunit;

namespace Ep.Bench.Tests;

/// <summary>The byte formulas of --kernels, the step floor, the receive-buffer mirror and the limit reading: all pure.</summary>
public sealed class KernelTrafficTests
{
    // 2 tokens, K 2: token 0 has two valid ids, token 1 none → N 1, M 2.
    private static readonly KernelCounts Small = KernelCounts.OneRank([3, 5, -1, -1], topK: 2, hidden: 8);

    [Fact]
    public void Counts_take_rows_with_any_valid_id_and_every_valid_selection()
    {
        Assert.Equal(new KernelCounts(2, 1, 2, 2, 8), Small);
        var ht = KernelCounts.OneRank(Routing.EpBenchRouting.HighThroughput(64, 16, 4, 0), 4, 8);
        Assert.Equal((64, 64 * 4), (ht.ReceivedRows, ht.Pairs)); // HT routing drops nothing
    }

    [Fact]
    public void Permute_reads_N_rows_and_writes_M_rows()
    {
        // row = 16 B; N·K = 2 slots of int32 m(n, j).
        Assert.Equal(new KernelBytes(1 * 16 + 2 * 4, 2 * 16), KernelTraffic.Permute(Small, weighted: false));
        Assert.Equal(new KernelBytes(1 * 16 + 2 * 8, 2 * 16), KernelTraffic.Permute(Small, weighted: true));
        Assert.Equal(new KernelBytes(2 * 16 + 2 * 4, 1 * 16), KernelTraffic.GatherSum(Small, weighted: false));
    }

    [Fact]
    public void Pack_combine_expand_scale_and_weight_gradients_count_rows_and_metadata()
    {
        Assert.Equal(new KernelBytes(16 + 2 * 2 * 12 + 2 * 4, 16 + 2 * 12), KernelTraffic.Pack(Small));
        Assert.Equal(new KernelBytes(16 + 2 * 2 * 12 + 2 * 2 * 4, 2 * 16), KernelTraffic.Combine(Small));
        Assert.Equal(new KernelBytes(2 * (16 + 12), 2 * (16 + 4)), KernelTraffic.Expand(Small));
        Assert.Equal(new KernelBytes(2 * (16 + 4), 2 * 16), KernelTraffic.Scale(Small, weighted: false));
        Assert.Equal(new KernelBytes(3 * 16 + 2 * 4, 2 * 4), KernelTraffic.WeightGradsFlat(Small));
        Assert.Equal(64, KernelTraffic.WeightGradsFlat(Small).TotalBytes);
    }

    [Fact]
    public void Rows_to_pairs_the_m_of_n_j_kernels_and_the_captured_routing_check_count_their_tables()
    {
        // M = 2 rows of 16 B with source, slot and first pair (int32 each); weights add 4 B read and written per row.
        Assert.Equal(new KernelBytes(2 * (16 + 12), 2 * 16), KernelTraffic.RowsToPairs(Small, weighted: false));
        Assert.Equal(new KernelBytes(2 * (16 + 12 + 4), 2 * (16 + 4)), KernelTraffic.RowsToPairs(Small, weighted: true));
        // N·K = 2 slots: ids int64 in twice (tile counts, then ranks), ranks int32 out; then ids + ranks + 4 offsets in, m(n, j) out.
        Assert.Equal(new KernelBytes(2 * 2 * 8, 2 * 4), KernelTraffic.RankInExpert(Small));
        Assert.Equal(new KernelBytes(2 * 12 + 4 * 4, 2 * 4), KernelTraffic.FinishRows(Small, localExperts: 4));
        // T·K = 4 entries of id + weight, read and written, the ids the handle holds read, and a four-word record.
        Assert.Equal(new KernelBytes(4 * 12 + 4 * 8, 4 * 12 + 32), KernelTraffic.Sanitize(Small));
    }

    [Fact]
    public void The_routing_record_counts_the_held_ids_and_the_copies_as_each_engine_runs_it()
    {
        // T·K = 4 entries; a 40-byte record.
        Assert.Equal(new KernelBytes(4 * 8, 40), KernelTraffic.RouteRecord(Small, 40, comparesHeld: false, copiesWeights: false, copiesIds: false));
        // NcclEp LowLatency: the weights read and both copies written.
        Assert.Equal(new KernelBytes(4 * 12, 40 + 4 * 12), KernelTraffic.RouteRecord(Small, 40, comparesHeld: false, copiesWeights: true, copiesIds: true));
        // NcclEp HighThroughput holding its ids: those read too, and only the weights copied.
        Assert.Equal(new KernelBytes(4 * 20, 40 + 4 * 4), KernelTraffic.RouteRecord(Small, 40, comparesHeld: true, copiesWeights: true, copiesIds: false));
    }

    [Fact]
    public void The_default_layer_moves_what_the_issue_expects()
    {
        EpLayerSpec spec = BenchLayers.Find("ht-flat")!.Spec;
        var c = KernelCounts.OneRank(Routing.EpBenchRouting.HighThroughput(4096, 256, 8, 0), 8, spec.HiddenSize);
        // Permute writes the 32768 expert-major rows of 7168 bf16: 470 MB.
        Assert.Equal(32768L * 7168 * 2, KernelTraffic.Permute(c, weighted: false).WriteBytes);
    }

    [Fact]
    public void The_step_floor_reads_and_writes_every_exchanged_row_in_every_pass()
    {
        Assert.Equal((3 + 5) * 16L * 2 * 4, StepFloors.Bytes([3, 5], hidden: 8, backward: true));
        Assert.Equal((3 + 5) * 16L * 2 * 2, StepFloors.Bytes([3, 5], hidden: 8, backward: false));
        StepFloor floor = StepFloors.Of(2_000_000, copyGigabytesPerSecond: 1000, stepMicroseconds: 5)!;
        Assert.Equal(1.0, floor.FloorMicroseconds, 9); // 2 MB over 2 TB/s of read + write
        Assert.Equal(5.0, floor.Ratio, 9);
        Assert.Null(StepFloors.Of(1, 0, 5));
        Assert.Null(StepFloors.Of(1, 1000, null));
    }

    [Theory]
    [InlineData("ht-flat", 1)]
    [InlineData("ht-flat", 8)]
    [InlineData("ll", 1)]
    public void Staged_receive_buffers_hold_the_plan_and_at_most_the_flat_staging_more(string name, int ranks)
    {
        EpLayerSpec spec = BenchLayers.Find(name)!.Spec;
        long plan = EpMemoryPlanner.Plan(spec, ranks).TotalBytes;
        long staged = Ep.Engines.Staged.StagedMemoryPlan.Plan(spec, ranks).ReceiveBytes;
        if (spec.Layout == EpLayout.Flat)
        {
            Assert.Equal(plan, staged); // Flat: exactly the plan's rows × (2H + 12K)
        }
        else
        {
            Assert.True(staged >= plan, $"{staged} < {plan}");
        }
    }

    [Fact]
    public void NcclEp_flat_receive_buffers_equal_the_plan_and_engine_memory_ratios_divide_by_PlanMemory()
    {
        EpLayerSpec spec = BenchLayers.Find("ht-flat")!.Spec;
        Assert.Equal(EpMemoryPlanner.Plan(spec, 1).TotalBytes, Ep.Engines.NcclEp.NcclEpMemoryPlan.Plan(spec, 1).ReceiveBytes);
        var memory = new EngineMemory(300, 280, 100);
        Assert.Equal(300.0 / 280, memory.MeasuredToPlanMemory, 9);
        Assert.True(memory.WithinTenPercent);
        Assert.False(new EngineMemory(300, 250, 100).WithinTenPercent);
    }

    [Fact]
    public void A_kernel_below_target_is_explained_by_its_resources_or_sent_to_ncu()
    {
        Assert.Null(KernelLimit.Explain(0.85, null, 100, 132));
        Assert.Null(KernelLimit.Explain(null, null, 100, 132));
        var spills = new KernelResources(255, 0, 64, 256, 1, 0.125);
        string why = KernelLimit.Explain(0.3, spills, blocks: 50, multiprocessors: 132)!;
        Assert.Contains("64 B local memory", why, System.StringComparison.Ordinal);
        Assert.Contains("occupancy", why, System.StringComparison.Ordinal);
        Assert.Contains("50 blocks", why, System.StringComparison.Ordinal);
        var full = new KernelResources(32, 1024, 0, 1024, 8, 1.0);
        Assert.Contains("ncu", KernelLimit.Explain(0.5, full, 100_000, 132)!, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Kernels_mode_is_one_rank()
    {
        Assert.True(BenchCommandLine.Parse(["--kernels"], out _)!.Kernels);
        var e = Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(["--kernels", "--ranks", "2"], out _));
        Assert.Contains("one rank", e.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Kernels_mode_without_a_gpu_reports_why_instead_of_throwing()
    {
        if (EpDevice.GpuCount > 0)
        {
            return; // on a GPU machine the run itself is the test
        }

        KernelReport report = KernelBench.Run(BenchCommandLine.Parse(["--kernels", "--layer", "small-ht"], out _)!, _ => { });
        Assert.Contains("no CUDA device", report.Problem, System.StringComparison.Ordinal);
        Assert.Contains("FAILED", KernelTableWriter.Write(report), System.StringComparison.Ordinal);
        Assert.Contains("\"problem\"", Report.JsonReportWriter.Serialize(report), System.StringComparison.Ordinal);
    }
}
