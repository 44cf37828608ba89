using System.Linq;
using Ep.Bench.Engines;
using Ep.Bench.Layers;
using Ep.Bench.Memory;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Bench.Tests;

/// <summary>
/// The layer's PlanMemory figure for each engine (its full memory plan) against footprints measured on the device
/// machine (bench/RESULTS.md runs 3 to 5: one H100 80GB, cuMemGetInfo around layer creation, MB = 10^6 B, ÷ ranks for
/// simulated ranks). The issue asks for agreement within 10 %; the benchmark prints the same ratio in every run.
/// </summary>
public sealed class EngineMemoryPlanTests
{
    [Theory]
    [InlineData("ht-flat", "staged", 1, 1822.4)]
    [InlineData("ht-flat-zc", "staged", 1, 1822.4)]
    [InlineData("ht-flat-1k", "staged", 8, 2616.2)]
    [InlineData("ht-em", "staged", 4, 12574.5)]
    [InlineData("ll", "staged", 1, 2388.7)]
    [InlineData("ht-flat", "nccl-ep", 1, 1499.5)]
    [InlineData("ht-flat-zc", "nccl-ep", 1, 1499.5)]
    [InlineData("ll", "nccl-ep", 1, 3410.0)]
    public void PlanMemory_is_within_ten_percent_of_the_measured_footprint(string layer, string engine, int ranks, double measuredMb)
    {
        EpLayerSpec spec = BenchLayers.Find(layer)!.Spec;
        BenchEngine which = engine == "staged" ? BenchEngine.Staged : BenchEngine.NcclEp;

        EngineMemory memory = EngineMemory.For(which, spec, ranks, (long)(measuredMb * 1e6));

        Assert.True(memory.WithinTenPercent,
            $"{layer} {engine} × {ranks}: measured {measuredMb} MB, PlanMemory {memory.PlanMemoryBytesPerRank / 1e6:F1} MB ({memory.MeasuredToPlanMemory:F3} ×)");
    }

    [Theory]
    [InlineData("ht-flat", 1)]
    [InlineData("ht-em", 4)]
    [InlineData("ll", 8)]
    public void PlanMemory_is_the_receive_plan_with_each_engine_plan_total(string layer, int ranks)
    {
        EpLayerSpec spec = BenchLayers.Find(layer)!.Spec;

        EpMemoryPlan plan = EpLayerMemory.Plan(spec, ranks);

        Assert.Equal(EpMemoryPlanner.Plan(spec, ranks) with { StagedEngineBytes = plan.StagedEngineBytes, NcclEpEngineBytes = plan.NcclEpEngineBytes }, plan);
        Assert.Equal(StagedMemoryPlan.Plan(spec, ranks).TotalBytes, plan.StagedEngineBytes);
        Assert.Equal(NcclEpMemoryPlan.Plan(spec, ranks).TotalBytes, plan.NcclEpEngineBytes);
        Assert.Null(EpMemoryPlanner.Plan(spec, ranks).StagedEngineBytes);
        Assert.Contains("whole engine per rank: Staged ", plan.ToString(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void The_plan_names_its_buffers_and_splits_Ep_from_NCCL_EP()
    {
        EpLayerSpec spec = BenchLayers.Find("ll")!.Spec;

        EngineMemoryPlan ncclEp = NcclEpMemoryPlan.Plan(spec, 1);
        EngineMemoryPlan staged = StagedMemoryPlan.Plan(spec, 1);

        Assert.Equal(ncclEp.TotalBytes, ncclEp.EpBytes + ncclEp.NativeBytes);
        Assert.Contains(ncclEp.Buffers, b => b.Native && b.Name.Contains("RDMA", System.StringComparison.Ordinal));
        Assert.Equal(0, staged.NativeBytes);
        Assert.All(staged.Buffers.Concat(ncclEp.Buffers), b => Assert.True(b.Bytes > 0, b.Name));
        Assert.StartsWith("NcclEp ", ncclEp.ToString(), System.StringComparison.Ordinal);
        Assert.Contains("NCCL EP", ncclEp.ToString(), System.StringComparison.Ordinal);
    }
}
