using System;
using Ep.Bench.Baselines;
using Xunit;

namespace Ep.Bench.Tests;

/// <summary>Samples written from the printf formats of printHighThroughputResults / printLowLatencyResults in ep_bench.cu.</summary>
public sealed class EpBenchOutputParserTests
{
    private const string HighThroughputWithoutCupti =
        """
        === NCCL EP Performance Benchmark ===
        Configuration:
          Algorithm:       High Throughput
          Ranks:           1
        Rank 0: ncclEpCreateGroup took 812.33 ms
        Using randperm topk_idx for HT mode (uniform distribution)


        === Summary (High Throughput BF16, across 1 ranks) ===
        NOTE: total time = kernel time + memcpyD2D + misc
        --- BW based on total time ---
        Dispatch:    total=412.57 us (min=398.10, max=455.02)
                     recv: total_bw=142.33  nvl_bw=142.33  rdma_bw=0.00 GB/s
                     send: total_bw=142.33  nvl_bw=142.33  rdma_bw=0.00 GB/s
        Combine:     total=388.90 us (min=380.00, max=401.75)
                     send: total_bw=150.99  nvl_bw=150.99  rdma_bw=0.00 GB/s
                     recv: total_bw=150.99  nvl_bw=150.99  rdma_bw=0.00 GB/s
        Total (D+C): avg=801.47 us, min=778.10 us, max=856.77 us

        --- BW based on kernel time ---
          NOTE: CUPTI support was not compiled.

        Byte counts (per rank avg): total_send=58.72 MB (4096 tokens), rdma_send=0.00 MB (0 tokens), rdma_recv=0.00 MB (0 tokens), total_recv=58.72 MB (4096 tokens)
        """;

    private const string HighThroughputWithCupti =
        """
        === Summary (High Throughput BF16, across 1 ranks) ===
        NOTE: total time = kernel time + memcpyD2D + misc
        --- BW based on total time ---
        Dispatch:    total=412.57 us (min=398.10, max=455.02)
                     recv: total_bw=142.33  nvl_bw=142.33  rdma_bw=0.00 GB/s
                     send: total_bw=71.00  nvl_bw=71.00  rdma_bw=0.00 GB/s
        Combine:     total=388.90 us (min=380.00, max=401.75)
                     send: total_bw=150.99  nvl_bw=150.99  rdma_bw=0.00 GB/s
                     recv: total_bw=75.00  nvl_bw=75.00  rdma_bw=0.00 GB/s
        Total (D+C): avg=801.47 us, min=778.10 us, max=856.77 us

        --- BW based on kernel time ---
        Dispatch:    kernel=201.10 us
                     recv: total_bw=292.00  nvl_bw=292.00  rdma_bw=0.00 GB/s
                     send: total_bw=146.00  nvl_bw=146.00  rdma_bw=0.00 GB/s
        Combine:     kernel=180.50 us
                     send: total_bw=325.32  nvl_bw=325.32  rdma_bw=0.00 GB/s
                     recv: total_bw=160.00  nvl_bw=160.00  rdma_bw=0.00 GB/s
        Total (D+C): kernel=381.60 us
        """;

    private const string LowLatency =
        """
        Using random topk_idx for LL mode (with -1 masking)


        === Summary (Low Latency, across 1 ranks) ===

        --- Host-observed performance ---
        Dispatch (BF16):  avg=61.20 us, min=58.00 us, max=70.10 us
                          throughput: avg=239.13 GB/s, min=239.13 GB/s (rank 0), max=239.13 GB/s (rank 0)
        Combine (BF16):   avg=70.45 us, min=66.30 us, max=79.80 us
                          throughput: avg=207.73 GB/s, min=207.73 GB/s (rank 0), max=207.73 GB/s (rank 0)
        Total (D+C):      avg=131.65 us, min=124.30 us, max=149.90 us
                          throughput: avg=222.33 GB/s, min=222.33 GB/s (rank 0), max=222.33 GB/s (rank 0)

        --- Kernel-only performance ---
        Dispatch:    avg=40.00 us, min=39.00 us, max=41.00 us
                          throughput: avg=365.86 GB/s, min=375.24 GB/s, max=356.94 GB/s
        Combine:     avg=50.00 us, min=49.00 us, max=51.00 us
                          throughput: avg=292.69 GB/s, min=298.66 GB/s, max=286.95 GB/s

        Byte counts: dispatch=14.63 MB (BF16), combine=14.63 MB (BF16), selections=1020
        """;

    [Fact]
    public void High_throughput_takes_the_receive_side_total_bandwidth_of_the_total_time_section()
    {
        EpBenchFigures f = EpBenchOutputParser.Parse(HighThroughputWithoutCupti);

        Assert.Equal(new EpBenchFigure(412.57, 142.33), f.Dispatch);
        Assert.Equal(new EpBenchFigure(388.90, 150.99), f.Combine);
        Assert.Null(f.KernelDispatch);
        Assert.Null(f.KernelCombine);
    }

    [Fact]
    public void High_throughput_kernel_figures_are_read_when_cupti_was_compiled()
    {
        EpBenchFigures f = EpBenchOutputParser.Parse(HighThroughputWithCupti);

        Assert.Equal(new EpBenchFigure(412.57, 142.33), f.Dispatch);
        Assert.Equal(new EpBenchFigure(388.90, 150.99), f.Combine);
        Assert.Equal(new EpBenchFigure(201.10, 292.00), f.KernelDispatch);
        Assert.Equal(new EpBenchFigure(180.50, 325.32), f.KernelCombine);
    }

    [Fact]
    public void Low_latency_takes_the_host_observed_average_throughput()
    {
        EpBenchFigures f = EpBenchOutputParser.Parse(LowLatency);

        Assert.Equal(new EpBenchFigure(61.20, 239.13), f.Dispatch);
        Assert.Equal(new EpBenchFigure(70.45, 207.73), f.Combine);
        Assert.Equal(new EpBenchFigure(40.00, 365.86), f.KernelDispatch);
        Assert.Equal(new EpBenchFigure(50.00, 292.69), f.KernelCombine);
    }

    [Fact]
    public void Windows_line_endings_and_printf_infinity_are_handled()
    {
        string output = HighThroughputWithoutCupti.Replace("\n", "\r\n", StringComparison.Ordinal)
            .Replace("recv: total_bw=142.33", "recv: total_bw=inf", StringComparison.Ordinal);

        EpBenchFigures f = EpBenchOutputParser.Parse(output);

        Assert.Equal(new EpBenchFigure(412.57, null), f.Dispatch);
        Assert.Equal(150.99, f.Combine.GigabytesPerSecond);
    }

    [Fact]
    public void Output_without_a_summary_is_an_error_that_quotes_its_end()
    {
        const string failed = "Rank 0: Testing ncclEpCreateGroup with algorithm: HT\nFailed: NCCL error ep_bench.cu:2890 'unhandled cuda error'\n";

        var error = Assert.Throws<FormatException>(() => EpBenchOutputParser.Parse(failed));

        Assert.Contains("unhandled cuda error", error.Message, StringComparison.Ordinal);
    }
}
