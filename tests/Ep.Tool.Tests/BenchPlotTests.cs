using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Ep.Tool.Bench;
using Xunit;

namespace Ep.Tool.Tests;

public class BenchPlotTests
{
    private static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "Samples", name);

    [Fact]
    public void The_sweep_sample_gives_a_line_per_engine_and_operation_with_references()
    {
        BenchFigures figures = BenchFigureReader.ReadFiles([Sample("ht-flat-sweep.sample.json")]);

        Assert.Equal(["nccl-ep combine", "nccl-ep dispatch", "staged combine", "staged dispatch"],
            figures.Engines.Select(p => p.Series).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(4, figures.Engines.Count(p => p.Series == "staged dispatch"));
        Assert.DoesNotContain(figures.Engines, p => p.Series.Contains("permute", StringComparison.Ordinal));
        Assert.Equal(["ep_bench combine", "ep_bench dispatch"], figures.EpBench.Select(p => p.Series).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(2900.0, figures.CopyCeilingGigabytesPerSecond);
    }

    [Fact]
    public void A_single_ep_bench_report_is_read_too()
    {
        BenchFigures figures = BenchFigureReader.ReadFiles([Sample("small-ht-reference-cpu.report.json")]);

        Assert.Contains(figures.Engines, p => p.Series == "reference dispatch" && p.TokensPerRank == 64);
        Assert.Null(figures.CopyCeilingGigabytesPerSecond);
    }

    [Fact]
    public async Task Bench_from_a_report_writes_a_png_and_an_svg()
    {
        string folder = Path.Combine(Path.GetTempPath(), "ep-tool-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            string plot = Path.Combine(folder, "sweep.png");
            var (exitCode, output, error) = await ToolRunner.Run("bench", "--from", Sample("ht-flat-sweep.sample.json"), Sample("small-ht-reference-cpu.report.json"), "--plot", plot, "--json");

            Assert.True(exitCode == 0, error);
            byte[] png = File.ReadAllBytes(plot);
            Assert.True(png.Length > 1000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            string svg = File.ReadAllText(Path.Combine(folder, "sweep.svg"));
            Assert.Contains("<svg", svg, StringComparison.Ordinal);
            Assert.Contains("copy ceiling", svg, StringComparison.Ordinal);
            using JsonDocument json = ToolRunner.Json(output);
            Assert.Equal(plot, json.RootElement.GetProperty("png").GetString());
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Bench_without_tokens_or_reports_is_a_usage_error()
    {
        var (exitCode, _, error) = await ToolRunner.Run("bench");

        Assert.Equal(2, exitCode);
        Assert.Contains("--tokens", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Locator_prefers_an_explicit_dll_and_reports_a_missing_one()
    {
        Assert.Null(BenchLocator.Find("/nonexistent/Ep.Bench.dll", out string? problem));
        Assert.Contains("does not exist", problem, StringComparison.Ordinal);

        BenchLauncher? fromRepo = BenchLocator.Find(null, Path.GetTempPath(), AppContext.BaseDirectory, out _);
        Assert.NotNull(fromRepo); // the test runs inside the repository, so bench/Ep.Bench is above it
        Assert.Equal("run", fromRepo.LeadingArguments[0]);
    }
}
