using System;
using System.Text;
using static System.FormattableString;

namespace Ep.Bench.Compile;

/// <summary>The <c>--nvrtc</c> table.</summary>
internal static class NvrtcTableWriter
{
    public static string Write(NvrtcReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Ep.Bench --nvrtc — each declared layer's kernels: first compile, the same source compiled again ({report.Compiles - 1} times), each into a fresh cache, and cached load ({report.CachedLoads} times)"));
        text.AppendLine("GPU: " + (report.Device ?? "none") + "; NVRTC " + (report.Nvrtc ?? "-")
            + (report.StartupMilliseconds is { } startup ? Invariant($"; NVRTC start-up (a one-kernel program first) {startup:F1} ms") : string.Empty));
        if (report.Layers.Count > 0)
        {
            text.AppendLine(Invariant($"  {"layer",-12}  {"source KB",9}  {"cubin KB",8}  {"first compile ms",16}  {"again ms (p50)",14}  {"cached load ms (p50)",20}  {"p10..p90",11}"));
            foreach (NvrtcLayerResult r in report.Layers)
            {
                text.AppendLine(Invariant(
                    $"  {r.Layer,-12}  {r.SourceBytes / 1024.0,9:F1}  {r.CubinBytes / 1024.0,8:F1}  {r.FirstCompileMilliseconds,16:F1}  {r.RepeatCompileMilliseconds.Median,14:F1}  {r.CachedLoadMilliseconds.Median,20:F2}  {$"{r.CachedLoadMilliseconds.P10:F2}..{r.CachedLoadMilliseconds.P90:F2}",11}"));
            }
        }

        text.AppendLine("first compile: NVRTC for this GPU's architecture on a source new to the process + the cubin written to a fresh cache + module load (what the first use of a layer on a machine costs); again: the same source compiled into another fresh cache (NVRTC reuses work within a process: not a first use); cached load: cubin read + module load (what every later process pays).");
        if (report.Problem is { } problem)
        {
            text.AppendLine("FAILED: " + problem);
        }

        return text.ToString();
    }
}
