using System;
using System.Text;
using static System.FormattableString;

namespace Ep.Bench.Routing;

/// <summary>The <c>--route-plan</c> table.</summary>
internal static class RoutePlanTableWriter
{
    public static string Write(RoutePlanReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Ep.Bench --route-plan — {report.Layer}: {report.Mode}, {report.Ranks} rank(s), {report.LocalExperts} local experts, {report.TokensPerRank} tokens/rank (ep_bench routing); the host work of every GPU Dispatch on the gathered routing records, on the CPU"));
        text.AppendLine(Invariant($"  {"part",-56}  {"ns per call (p50)",17}  {"p10..p90",15}"));
        foreach (RoutePlanPart part in report.Parts)
        {
            Metrics.SampleSummary ns = part.NanosecondsPerCall;
            text.AppendLine(Invariant($"  {part.Name,-56}  {ns.Median,17:F0}  {$"{ns.P10:F0}..{ns.P90:F0}",15}"));
        }

        text.AppendLine(Invariant($"ns per call: rounds of {RoutePlanBench.CallsPerRound} calls after untimed ones, one clock read per round; medians over the rounds (--iters)."));
        return text.ToString();
    }
}
