using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using System.Xml.Linq;
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

    /// <summary>
    /// Headless GPU servers often have no fonts, and Skia then draws no text (the device machine's plot had no title,
    /// labels or legend). The tool carries its own typeface; every text of the plot must be set in it.
    /// </summary>
    [Fact]
    public void Plots_set_their_text_in_the_font_the_tool_carries()
    {
        var font = new BundledFont();
        Assert.Equal("DejaVu Sans", font.CreateTypeface(BundledFont.Family, bold: false, italic: false)!.FamilyName);
        Assert.Null(font.CreateTypeface("Some System Font", bold: false, italic: false));

        BenchFigures figures = BenchFigureReader.ReadFiles([Sample("ht-flat-sweep.sample.json")]);
        XElement[] texts = XDocument.Parse(BenchPlotter.Draw(figures, "sweep title").GetSvgXml(800, 500))
            .Descendants().Where(e => e.Name.LocalName == "text").ToArray();

        Assert.True(texts.Length >= 10, $"{texts.Length} text elements: the title, axis labels, ticks and legend must all be drawn.");
        Assert.All(texts, t => Assert.Equal("DejaVu Sans", (string?)t.Attribute("font-family")));
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
    public async Task In_the_svg_the_reference_lines_are_dashed_and_the_engine_lines_solid()
    {
        string folder = Path.Combine(Path.GetTempPath(), "ep-tool-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            string plot = Path.Combine(folder, "sweep.png");
            var (exitCode, _, error) = await ToolRunner.Run("bench", "--from", Sample("ht-flat-sweep.sample.json"), "--plot", plot, "--json");
            Assert.True(exitCode == 0, error);

            XElement[] stroked = XDocument.Load(Path.Combine(folder, "sweep.svg")).Descendants()
                .Where(e => e.Attribute("stroke") is not null).ToArray();
            string? Dashes(XElement e) => e.Attribute("stroke-dasharray")?.Value;
            XElement[] Stroked(ScottPlot.Color color) => stroked.Where(e => SvgDashes.ParseColor(e.Attribute("stroke")!.Value) == SvgDashes.Rgb(color)).ToArray();

            // Each reference line and its legend sample: dashed as in the PNG (ScottPlot's intervals, in pixels).
            foreach (DashedStroke reference in BenchPlotter.ReferenceLines)
            {
                XElement[] lines = Stroked(reference.Color);
                Assert.True(lines.Length >= 2, "expected the line and its legend sample for " + reference.Color.ToHex());
                Assert.All(lines, e => Assert.Equal(string.Join(' ', reference.Pattern.Intervals), Dashes(e)));
            }

            Assert.Equal("10 10", Dashes(Stroked(BenchPlotter.EpBenchDispatch.Color)[0]));
            Assert.Equal("3 5", Dashes(Stroked(BenchPlotter.CopyCeiling.Color)[0]));

            // The sample has four engine series (nccl-ep and staged, dispatch and combine): solid, and nothing else is dashed.
            foreach (ScottPlot.Color engine in BenchPlotter.EngineColors.Take(4))
            {
                XElement[] lines = Stroked(engine);
                Assert.True(lines.Length >= 2, "expected the line and its legend sample for " + engine.ToHex());
                Assert.All(lines, e => Assert.Null(Dashes(e)));
            }

            int referenceElements = BenchPlotter.ReferenceLines.Sum(r => Stroked(r.Color).Length);
            Assert.Equal(referenceElements, stroked.Count(e => Dashes(e) is not null));
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
    public void Reference_colours_are_used_by_no_engine_line_and_are_not_named_svg_colours()
    {
        uint[] engines = BenchPlotter.EngineColors.Select(SvgDashes.Rgb).ToArray();
        uint[] references = BenchPlotter.ReferenceLines.Select(r => SvgDashes.Rgb(r.Color)).ToArray();

        Assert.Equal(references.Length, references.Distinct().Count());
        Assert.Empty(engines.Intersect(references));
        // Axes, ticks and text are black, the background white: a reference colour must not be one a frame could print.
        Assert.DoesNotContain(0x000000u, references);
        Assert.DoesNotContain(0xFFFFFFu, references);
    }

    [Theory]
    [InlineData("#1B3A5C", 0x1B3A5Cu)]
    [InlineData("#1b3a5c", 0x1B3A5Cu)]
    [InlineData("#333", 0x333333u)]
    [InlineData("black", 0x000000u)]
    [InlineData("Gray", 0x808080u)]
    public void Svg_colours_parse_in_every_form_skia_writes(string text, uint rgb) =>
        Assert.Equal(rgb, SvgDashes.ParseColor(text));

    [Theory]
    [InlineData("none")]
    [InlineData("url(#gradient)")]
    [InlineData("#12345")]
    public void Other_svg_paints_are_no_colour(string text) => Assert.Null(SvgDashes.ParseColor(text));

    [Fact]
    public void Only_the_given_colours_get_dashes()
    {
        const string Svg = """<svg xmlns="http://www.w3.org/2000/svg"><path stroke="#1B3A5C" d="M0 0L9 9"/><path stroke="#1F77B4" d="M0 0L9 9"/><rect fill="#1B3A5C"/></svg>""";

        XDocument document = SvgDashes.Apply(Svg, [new DashedStroke(ScottPlot.Color.FromHex("#1B3A5C"), new ScottPlot.LinePattern([4, 2], 1, "test"))]);

        XElement[] elements = document.Root!.Elements().ToArray();
        Assert.Equal("4 2", elements[0].Attribute("stroke-dasharray")?.Value);
        Assert.Equal("1", elements[0].Attribute("stroke-dashoffset")?.Value);
        Assert.Null(elements[1].Attribute("stroke-dasharray"));
        Assert.Null(elements[2].Attribute("stroke-dasharray"));
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
