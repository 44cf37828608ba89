using System;
using System.Linq;
using Ep.Bench.Baselines;
using Ep.Bench.Layers;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class EpBenchRunnerTests
{
    [Fact]
    public void High_throughput_flat_passes_ep_bench_our_sizes()
    {
        EpLayerSpec spec = BenchLayers.Find("ht-flat")!.Spec;

        Assert.Equal(
            ["--algorithm", "ht", "--layout", "fl", "--tokens", "4096", "--hidden", "7168", "--top-k", "8", "--experts", "256", "--warmup", "10", "--iters", "50"],
            EpBenchRunner.Arguments(spec, 4096, 10, 50));
    }

    [Fact]
    public void Low_latency_and_zero_copy_get_their_flags()
    {
        Assert.Equal(["--algorithm", "ll", "--layout", "em", "--tokens", "128"], EpBenchRunner.Arguments(BenchLayers.Find("ll")!.Spec, 128, 1, 5).Take(6));
        Assert.Contains("--zcopy", EpBenchRunner.Arguments(BenchLayers.Find("ht-flat-zc")!.Spec, 4096, 1, 5));
        Assert.Contains("--expert-major-alignment", EpBenchRunner.Arguments(BenchLayers.Find("ht-em")!.Spec with { ExpertAlignment = 128 }, 4096, 1, 5));
    }

    [Fact]
    public void Ep_bench_always_times_at_least_two_iterations_because_it_drops_the_first()
    {
        Assert.Equal("2", EpBenchRunner.Arguments(BenchLayers.Find("ll")!.Spec, 128, 0, 1)[^1]);
    }

    [Fact]
    public void Expert_major_with_too_many_local_experts_is_not_run_at_one_rank()
    {
        Assert.Contains("hangs", EpBenchRunner.RefusalAtOneRank(BenchLayers.Find("ht-em")!.Spec), StringComparison.Ordinal);
        Assert.Null(EpBenchRunner.RefusalAtOneRank(BenchLayers.Find("ht-flat")!.Spec));
        Assert.Null(EpBenchRunner.RefusalAtOneRank(BenchLayers.Find("ll")!.Spec));
    }

    [Fact]
    public void N_ranks_run_under_mpirun_with_np_N_before_ep_bench_and_its_arguments()
    {
        var command = EpBenchRunner.Command("/x/ep_bench", "/usr/bin/mpirun", 2, ["--algorithm", "ht"]);

        Assert.NotNull(command);
        Assert.Equal("/usr/bin/mpirun", command.Value.FileName);
        Assert.Equal(["--allow-run-as-root", "-np", "2", "/x/ep_bench", "--algorithm", "ht"], command.Value.Arguments);
    }

    [Fact]
    public void Without_mpirun_one_rank_runs_as_a_singleton_and_several_cannot_run()
    {
        var single = EpBenchRunner.Command("/x/ep_bench", null, 1, ["--algorithm", "ll"]);

        Assert.Equal("/x/ep_bench", single!.Value.FileName);
        Assert.Equal(["--algorithm", "ll"], single.Value.Arguments);
        Assert.Null(EpBenchRunner.Command("/x/ep_bench", null, 4, ["--algorithm", "ll"]));
    }

    [Fact]
    public void Expert_major_runs_once_there_are_at_most_64_local_experts()
    {
        EpLayerSpec em = BenchLayers.Find("ht-em")!.Spec;

        Assert.Contains("2 ranks has 128 local experts", EpBenchRunner.Refusal(em, 2), StringComparison.Ordinal);
        Assert.Null(EpBenchRunner.Refusal(em, 4));
        Assert.Null(EpBenchRunner.Refusal(BenchLayers.Find("ht-flat")!.Spec, 2));
        Assert.Contains("do not divide", EpBenchRunner.Refusal(BenchLayers.Find("ht-flat")!.Spec, 3), StringComparison.Ordinal);
    }

    [Fact]
    public void Mpirun_started_from_a_rank_gets_no_launcher_variables()
    {
        var environment = new System.Collections.Generic.Dictionary<string, string?>
        {
            ["EP_RANK"] = "0", ["EP_WORLD_SIZE"] = "2", ["EP_LOCAL_RANK"] = "0", ["EP_LOCAL_WORLD_SIZE"] = "2",
            ["EP_MASTER_ADDR"] = "127.0.0.1", ["EP_MASTER_PORT"] = "29500", ["EP_NCCL_EP_BENCH"] = "/x/ep_bench",
            ["OMPI_COMM_WORLD_RANK"] = "0", ["OMPI_COMM_WORLD_SIZE"] = "2", ["PMIX_RANK"] = "0", ["PRTE_MCA_x"] = "1", ["OMPI_MCA_plm_rsh_agent"] = "false", ["PMI_RANK"] = "0",
            ["MASTER_ADDR"] = "h", ["MASTER_PORT"] = "1",
            ["LD_LIBRARY_PATH"] = "/tmp/ncclep/lib", ["PATH"] = "/usr/bin", ["NCCL_EP_HOME"] = "/tmp/ncclep", ["NCCL_HOME"] = "/tmp/ncclep",
            ["CUDA_HOME"] = "/usr/local/cuda", ["CUDA_VISIBLE_DEVICES"] = "0,1", ["NCCL_DEBUG"] = "WARN",
        };

        var removed = EpBenchRunner.Sanitize(environment);

        Assert.Equal(13, removed.Count);
        Assert.Contains("EP_RANK", removed);
        Assert.Contains("OMPI_COMM_WORLD_RANK", removed);
        Assert.Equal(["CUDA_HOME", "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "NCCL_DEBUG", "NCCL_EP_HOME", "NCCL_HOME", "OMPI_MCA_plm_rsh_agent", "PATH", "PRTE_MCA_x"],
            environment.Keys.Order());
    }

    [Fact]
    public void The_summary_of_N_ranks_is_read_and_the_per_rank_lines_before_it_are_not()
    {
        // printHighThroughputResults with 2 ranks: every rank prints its "[Rank K]" lines, rank 0 the summary across ranks.
        const string output = """
            [Rank 1] Dispatch:         total=700.10 us  kernel=0.00 us
            [Rank 0] Dispatch:         total=690.00 us  kernel=0.00 us
            [Rank 0] Combine:          total=650.00 us  kernel=0.00 us
            [Rank 1] Combine:          total=655.00 us  kernel=0.00 us

            === Summary (High Throughput BF16, across 2 ranks) ===
            NOTE: total time = kernel time + memcpyD2D + misc
            --- BW based on total time ---
            Dispatch:    total=695.05 us (min=680.00, max=720.00)
                         recv: total_bw=84.53  nvl_bw=42.26  rdma_bw=0.00 GB/s
                         send: total_bw=84.53  nvl_bw=42.26  rdma_bw=0.00 GB/s
            Combine:     total=652.50 us (min=640.00, max=670.00)
                         send: total_bw=90.04  nvl_bw=45.02  rdma_bw=0.00 GB/s
                         recv: total_bw=90.04  nvl_bw=45.02  rdma_bw=0.00 GB/s
            Total (D+C): avg=1347.55 us, min=1330.00 us, max=1380.00 us
            """;

        EpBenchFigures figures = EpBenchOutputParser.Parse(output);

        Assert.Equal(new EpBenchFigure(695.05, 84.53), figures.Dispatch);
        Assert.Equal(new EpBenchFigure(652.50, 90.04), figures.Combine);
    }
}
