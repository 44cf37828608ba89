using System;
using Ep.Bench.Compile;
using Ep.Bench.Layers;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class NvrtcBenchTests
{
    [Fact]
    public void Nvrtc_mode_is_parsed_and_runs_alone()
    {
        Assert.True(BenchCommandLine.Parse(["--nvrtc"], out _)!.Nvrtc);
        Assert.False(BenchCommandLine.Parse([], out _)!.Nvrtc);
        var error = Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(["--nvrtc", "--kernels"], out _));
        Assert.Contains("run it alone", error.Message, StringComparison.Ordinal);
        Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(["--nvrtc", "--ranks", "2"], out _));
    }

    [Fact]
    public void Every_declared_layer_is_compiled_or_the_report_says_why_not()
    {
        NvrtcReport report = NvrtcBench.Run(_ => { });

        if (EpDevice.GpuCount == 0)
        {
            Assert.Contains("no CUDA device", report.Problem, StringComparison.Ordinal);
            Assert.Empty(report.Layers);
            Assert.Contains("FAILED", NvrtcTableWriter.Write(report), StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(report.Problem);
            Assert.Equal(BenchLayers.All.Count, report.Layers.Count);
            Assert.All(report.Layers, l => Assert.True(l.CubinBytes > 0 && l.CachedLoadMilliseconds.Count == NvrtcBench.CachedLoads, l.Layer));
        }
    }

    [Fact]
    public void The_table_has_a_row_per_layer_with_both_times()
    {
        var report = new NvrtcReport("Ep.Bench --nvrtc", "2026-11-25T00:00:00Z", "NVIDIA H100 80GB HBM3 (sm_90)", "13.0", 3, 10, null,
        [
            new NvrtcLayerResult("ht-flat", 40_960, 204_800, 1100.0, SampleSummary.Of([28.0, 30.0]), SampleSummary.Of([0.2, 0.25, 0.3])),
        ], StartupMilliseconds: 850.0);

        string table = NvrtcTableWriter.Write(report);

        Assert.Contains("NVRTC 13.0; NVRTC start-up (a one-kernel program first) 850.0 ms", table, StringComparison.Ordinal);
        Assert.Matches(@"ht-flat\s+40\.0\s+200\.0\s+1100\.0\s+29\.0\s+0\.25", table);
        Assert.DoesNotContain("FAILED", table, StringComparison.Ordinal);
    }
}
