using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Ep.Tool.Plan;

/// <summary>Says in words why the largest plan is the largest, so a reader need not rederive the formulas of docs/engines.md.</summary>
internal static class WorstCaseExplainer
{
    /// <summary>One or two sentences about <paramref name="worst"/> of <paramref name="layer"/>, compared with the smallest of <paramref name="rows"/>.</summary>
    public static string Explain(EpLayerSpec layer, MemoryPlanRow worst, IReadOnlyList<MemoryPlanRow> rows)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(worst);
        ArgumentNullException.ThrowIfNull(rows);
        EpMemoryPlan plan = worst.Plan;
        string why = (plan.Layout, plan.Algorithm) switch
        {
            (EpLayout.Flat, _) => Text($"{worst.Mode} is the worst case: it keeps one row per (source rank, token) that can reach this rank, {plan.ReceiveRows:N0} rows, because with dropless routing every token of all {plan.Ranks} ranks may pick an expert here; each row carries the token plus K weights and K expert ids."),
            (_, EpAlgorithm.LowLatency) => Text($"{worst.Mode} is the worst case: NCCL EP LL's output is a fixed [L, R × MaxTokensPerRank, H] buffer, so each of the {plan.LocalExperts} local experts reserves room for every token of all {plan.Ranks} ranks ({plan.ReceiveRows:N0} rows), whatever the routing."),
            _ => Text($"{worst.Mode} is the worst case: a received token is copied once per local expert it picks, up to min(K, L) = {Math.Min(layer.TopK, plan.LocalExperts)} times, so the buffer has {plan.ReceiveRows:N0} rows where Flat has {plan.RecvCapacityRows:N0}."),
        };

        MemoryPlanRow smallest = rows.MinBy(r => r.Plan.TotalBytes)!;
        if (ReferenceEquals(smallest, worst) || smallest.Plan.TotalBytes == 0)
        {
            return why + Text($" It needs {EpMemoryPlan.Readable(plan.TotalBytes)} per rank.");
        }

        double ratio = (double)plan.TotalBytes / smallest.Plan.TotalBytes;
        string compared = Text($" It needs {EpMemoryPlan.Readable(plan.TotalBytes)} per rank, {ratio:0.#}× {smallest.Mode}'s {EpMemoryPlan.Readable(smallest.Plan.TotalBytes)}.");
        // The advice EP0013 gives: Flat receive plus Permute, which sizes expert-major rows by the actual counts.
        return smallest.Layout == EpLayout.Flat && worst.Layout == EpLayout.ExpertMajor
            ? why + compared + Text($" {smallest.Mode} followed by Permute (expert-major rows sized by the actual counts) avoids that reservation.")
            : why + compared;
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
