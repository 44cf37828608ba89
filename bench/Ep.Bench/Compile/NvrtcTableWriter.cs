using System;
using System.Globalization;
using System.Text;

namespace Ep.Bench.Compile;

/// <summary>The <c>--nvrtc</c> table.</summary>
internal static class NvrtcTableWriter
{
    public static string Write(NvrtcReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Ep.Bench --nvrtc — each declared layer's kernels: first compile (fresh cache, {report.Compiles} times) and cached load ({report.CachedLoads} times)"));
        text.AppendLine("GPU: " + (report.Device ?? "none") + "; NVRTC " + (report.Nvrtc ?? "-"));
        if (report.Layers.Count > 0)
        {
            text.AppendLine(Invariant($"  {"layer",-12}  {"source KB",9}  {"cubin KB",8}  {"first compile ms (p50)",22}  {"p10..p90",15}  {"cached load ms (p50)",20}  {"p10..p90",11}"));
            foreach (NvrtcLayerResult r in report.Layers)
            {
                text.AppendLine(Invariant(
                    $"  {r.Layer,-12}  {r.SourceBytes / 1024.0,9:F1}  {r.CubinBytes / 1024.0,8:F1}  {r.FirstCompileMilliseconds.Median,22:F1}  {$"{r.FirstCompileMilliseconds.P10:F1}..{r.FirstCompileMilliseconds.P90:F1}",15}  {r.CachedLoadMilliseconds.Median,20:F2}  {$"{r.CachedLoadMilliseconds.P10:F2}..{r.CachedLoadMilliseconds.P90:F2}",11}"));
            }
        }

        text.AppendLine("first compile: NVRTC for this GPU's architecture + the cubin written to a fresh cache + module load; cached load: cubin read + module load (what every later process pays).");
        if (report.Problem is { } problem)
        {
            text.AppendLine("FAILED: " + problem);
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
