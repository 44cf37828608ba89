using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;

namespace Ep.Tool.Plan;

/// <summary>
/// Builds <c>ep plan</c>'s rows. Pure, and it computes nothing itself: the bytes are <see cref="EpMemoryPlanner"/>'s (what
/// the generator's EP0013 checks and <c>PlanMemory</c>'s receive rows show) and, per engine, the engines' full plans
/// (every buffer, its receive buffers marked; their totals are <c>PlanMemory</c>'s engine figures, checked against
/// measured footprints in bench/RESULTS.md); the violations are <see cref="EpLayerRules"/>'s.
/// </summary>
internal static class MemoryPlanBuilder
{
    /// <summary>The layout and algorithm pairs that can be declared: LowLatency exists only as ExpertMajor (EP0017).</summary>
    public static readonly IReadOnlyList<(EpLayout Layout, EpAlgorithm Algorithm)> Modes =
    [
        (EpLayout.Flat, EpAlgorithm.HighThroughput),
        (EpLayout.ExpertMajor, EpAlgorithm.HighThroughput),
        (EpLayout.ExpertMajor, EpAlgorithm.LowLatency),
    ];

    /// <summary>
    /// Plans <paramref name="layer"/> at <paramref name="ranks"/> ranks for every mode, or only those matching
    /// <paramref name="onlyLayout"/> / <paramref name="onlyAlgorithm"/> when given.
    /// </summary>
    public static MemoryPlanReport Build(EpLayerSpec layer, int ranks, EpLayout? onlyLayout = null, EpAlgorithm? onlyAlgorithm = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var rows = new List<MemoryPlanRow>();
        foreach ((EpLayout layout, EpAlgorithm algorithm) in Modes)
        {
            if ((onlyLayout is { } l && l != layout) || (onlyAlgorithm is { } a && a != algorithm))
            {
                continue;
            }

            EpLayerSpec spec = layer with { Layout = layout, Algorithm = algorithm };
            EpMemoryPlan plan = EpMemoryPlanner.Plan(spec, ranks);
            IReadOnlyList<PlanViolation> violations = EpLayerRules.Check(spec, ranks)
                .Select(v => new PlanViolation(v.Rule.Id, v.Rule.Severity, v.Message))
                .ToList();
            rows.Add(new MemoryPlanRow(ModeName(layout, algorithm), layout, algorithm, plan, Formula(spec, plan), violations,
                StagedMemoryPlan.Plan(spec, ranks), NcclEpMemoryPlan.Plan(spec, ranks)));
        }

        if (rows.Count == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"No mode has layout {onlyLayout} with algorithm {onlyAlgorithm}: LowLatency exists only with ExpertMajor (EP0017)."));
        }

        MemoryPlanRow worst = rows.MaxBy(r => r.Plan.TotalBytes)!;
        return new MemoryPlanReport(layer, ranks, rows, worst.Mode, WorstCaseExplainer.Explain(layer, worst, rows));
    }

    /// <summary>The mode's short name, as NCCL EP's documentation and the selector's reason lines write it.</summary>
    public static string ModeName(EpLayout layout, EpAlgorithm algorithm) =>
        (algorithm == EpAlgorithm.LowLatency ? "LL " : "HT ") + layout.ToString();

    /// <summary>The row count with its formula, e.g. "R × MaxTokensPerRank = 64 × 8,192 = 524,288".</summary>
    public static string Formula(EpLayerSpec spec, EpMemoryPlan plan)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(plan);
        string capacity = spec.RecvCapacityPerRank > 0
            ? N($"RecvCapacityPerRank = {plan.RecvCapacityRows:N0}")
            : N($"R × MaxTokensPerRank = {plan.Ranks} × {spec.MaxTokensPerRank:N0} = {plan.RecvCapacityRows:N0}");
        if (plan.Layout == EpLayout.Flat)
        {
            return capacity;
        }

        if (plan.Algorithm == EpAlgorithm.LowLatency)
        {
            return N($"L × R × MaxTokensPerRank = {plan.LocalExperts} × {plan.Ranks} × {spec.MaxTokensPerRank:N0} = {plan.ReceiveRows:N0}");
        }

        return N($"capacity × min(K, L) + L × (alignment − 1) = {plan.RecvCapacityRows:N0} × {Math.Min(spec.TopK, plan.LocalExperts)} + {plan.LocalExperts} × {spec.EffectiveAlignment - 1} = {plan.ReceiveRows:N0} (capacity: {capacity})");
    }

    private static string N(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
