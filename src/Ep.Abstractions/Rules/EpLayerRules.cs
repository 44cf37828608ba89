using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Ep;

/// <summary>
/// Checks a layer's constants against <see cref="EpRules"/>. The analyzer calls it with the declared
/// <c>Ranks</c> (0 when unknown); a generated layer's constructor calls it again with the real world size.
/// </summary>
public static class EpLayerRules
{
    /// <summary>
    /// Every rule <paramref name="spec"/> breaks at <paramref name="ranks"/> ranks (0 = unknown: the rank-dependent
    /// rules are skipped). Class-shape rules (EP0001–EP0003, EP0022–EP0025) need syntax and are checked by the analyzer alone.
    /// </summary>
    public static IReadOnlyList<EpRuleViolation> Check(EpLayerSpec spec, int ranks)
    {
        if (spec is null)
        {
            throw new ArgumentNullException(nameof(spec));
        }

        var found = new List<EpRuleViolation>();
        bool sizesValid = CheckSizes(spec, found);
        CheckRouting(spec, found);
        CheckPayloadAndLayout(spec, found);
        if (ranks != 0)
        {
            CheckRanks(spec, ranks, sizesValid, found);
        }

        return found;
    }

    /// <summary>True when <paramref name="violations"/> holds an error (not only warnings).</summary>
    public static bool HasErrors(IEnumerable<EpRuleViolation> violations) =>
        violations.Any(v => v.Rule.Severity == EpRuleSeverity.Error);

    private static bool CheckSizes(EpLayerSpec spec, List<EpRuleViolation> found)
    {
        int before = found.Count;
        RequirePositive(nameof(spec.Experts), spec.Experts, found);
        RequirePositive(nameof(spec.TopK), spec.TopK, found);
        RequirePositive(nameof(spec.HiddenSize), spec.HiddenSize, found);
        RequirePositive(nameof(spec.MaxTokensPerRank), spec.MaxTokensPerRank, found);

        if (spec.HiddenSize > 0 && spec.HiddenSize % EpRules.HiddenSizeMultiple != 0)
        {
            int below = spec.HiddenSize / EpRules.HiddenSizeMultiple * EpRules.HiddenSizeMultiple;
            int above = below + EpRules.HiddenSizeMultiple;
            found.Add(new EpRuleViolation(EpRules.HiddenSizeNotAligned, nameof(spec.HiddenSize),
                spec.HiddenSize, below == 0 ? above : below, below == 0 ? above * 2 : above));
        }

        if (spec.MaxTokensPerRank > EpRules.MaxNcclEpTokensPerRank)
        {
            found.Add(new EpRuleViolation(EpRules.TooManyTokensForNcclEp, nameof(spec.MaxTokensPerRank),
                spec.MaxTokensPerRank, EpRules.MaxNcclEpTokensPerRank));
        }

        if (spec.RecvCapacityPerRank < 0 || (spec.RecvCapacityPerRank > 0 && spec.RecvCapacityPerRank < spec.MaxTokensPerRank))
        {
            found.Add(new EpRuleViolation(EpRules.RecvCapacityTooSmall, nameof(spec.RecvCapacityPerRank),
                spec.RecvCapacityPerRank, spec.MaxTokensPerRank));
        }

        if (spec.MemoryBudgetGiB < 0 || double.IsNaN(spec.MemoryBudgetGiB))
        {
            found.Add(new EpRuleViolation(EpRules.NegativeMemoryBudget, nameof(spec.MemoryBudgetGiB), spec.MemoryBudgetGiB));
        }

        return found.Count == before;
    }

    private static void CheckRouting(EpLayerSpec spec, List<EpRuleViolation> found)
    {
        if (spec.TopK > 0 && spec.Experts > 0 && spec.TopK > spec.Experts)
        {
            found.Add(new EpRuleViolation(EpRules.TopKExceedsExperts, nameof(spec.TopK), spec.TopK, spec.Experts));
        }

        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        int limit = lowLatency ? EpRules.MaxTopKLowLatency : EpRules.MaxTopKHighThroughput;
        if (spec.TopK > limit)
        {
            found.Add(new EpRuleViolation(EpRules.TopKAboveLimit, nameof(spec.TopK),
                spec.TopK, lowLatency ? "LowLatency" : "HighThroughput", limit));
        }
    }

    private static void CheckPayloadAndLayout(EpLayerSpec spec, List<EpRuleViolation> found)
    {
        if (spec.Payload != EpPayload.BFloat16)
        {
            found.Add(new EpRuleViolation(EpRules.UnsupportedPayload, nameof(spec.Payload), spec.Payload, WhyUnsupported(spec.Payload)));
        }

        if (spec.ExpertAlignment < 0 || (spec.ExpertAlignment > 1 && (spec.ExpertAlignment & (spec.ExpertAlignment - 1)) != 0))
        {
            found.Add(new EpRuleViolation(EpRules.AlignmentNotPowerOfTwo, nameof(spec.ExpertAlignment), spec.ExpertAlignment));
        }
        else if (spec.ExpertAlignment > 1 && spec.Layout == EpLayout.Flat)
        {
            found.Add(new EpRuleViolation(EpRules.AlignmentIgnored, nameof(spec.ExpertAlignment), spec.ExpertAlignment));
        }

        if (spec.Algorithm != EpAlgorithm.LowLatency)
        {
            return;
        }

        if (spec.Layout != EpLayout.ExpertMajor)
        {
            found.Add(new EpRuleViolation(EpRules.LowLatencyNeedsExpertMajor, nameof(spec.Layout), spec.Layout));
        }

        if (spec.HiddenSize > 0 && Array.IndexOf(EpRules.LowLatencyHiddenSizes, spec.HiddenSize) < 0)
        {
            found.Add(new EpRuleViolation(EpRules.LowLatencyHiddenSize, nameof(spec.HiddenSize), spec.HiddenSize,
                string.Join(", ", EpRules.LowLatencyHiddenSizes.Select(h => h.ToString(CultureInfo.InvariantCulture)))));
        }

        if (spec.ZeroCopy)
        {
            found.Add(new EpRuleViolation(EpRules.ZeroCopyWithLowLatency, nameof(spec.ZeroCopy)));
        }
    }

    private static void CheckRanks(EpLayerSpec spec, int ranks, bool sizesValid, List<EpRuleViolation> found)
    {
        if (ranks < 0 || ranks > EpRules.MaxRanks)
        {
            found.Add(new EpRuleViolation(EpRules.RanksOutOfRange, nameof(spec.Ranks), ranks, EpRules.MaxRanks));
            return;
        }

        if (spec.Experts <= 0)
        {
            return;
        }

        if (spec.Experts % ranks != 0)
        {
            // Blame Ranks: Experts alone is fine (it passed EP0004); the rank count is what it does not divide.
            found.Add(new EpRuleViolation(EpRules.ExpertsNotDivisible, nameof(spec.Ranks), spec.Experts, ranks));
            return;
        }

        int localExperts = spec.Experts / ranks;
        if (spec.Layout == EpLayout.ExpertMajor && spec.Algorithm == EpAlgorithm.HighThroughput
            && localExperts > EpRules.MaxLocalExpertsExpertMajor)
        {
            found.Add(new EpRuleViolation(EpRules.TooManyLocalExperts, nameof(spec.Layout),
                localExperts, spec.Experts, ranks, EpRules.MaxLocalExpertsExpertMajor));
        }

        if (spec.Algorithm == EpAlgorithm.LowLatency && spec.MaxTokensPerRank > 0
            && (long)spec.MaxTokensPerRank * localExperts % 4 != 0)
        {
            found.Add(new EpRuleViolation(EpRules.LowLatencyTokenMultiple, nameof(spec.MaxTokensPerRank),
                spec.MaxTokensPerRank, localExperts, (long)spec.MaxTokensPerRank * localExperts));
        }

        if (sizesValid && spec.MemoryBudgetGiB > 0)
        {
            CheckMemory(spec, ranks, found);
        }
    }

    /// <remarks>
    /// Where EP0013 points: at the argument that makes the buffers big when there is one, i.e. <c>Layout</c>
    /// (HighThroughput ExpertMajor) or <c>Algorithm</c> (LowLatency) when the Flat layout would fit the budget;
    /// otherwise at <c>MemoryBudgetGiB</c>, because no layout fits and the budget or the sizes must change.
    /// </remarks>
    private static void CheckMemory(EpLayerSpec spec, int ranks, List<EpRuleViolation> found)
    {
        EpMemoryPlan plan = EpMemoryPlanner.Plan(spec, ranks);
        if (plan.TotalGiB <= spec.MemoryBudgetGiB)
        {
            return;
        }

        bool lowLatency = plan.Algorithm == EpAlgorithm.LowLatency;
        string layoutName = lowLatency ? "LowLatency ExpertMajor" : plan.Layout.ToString();
        string property = nameof(spec.MemoryBudgetGiB);
        string advice;
        if (plan.Layout == EpLayout.Flat)
        {
            advice = "Flat is already the smallest layout, so lower RecvCapacityPerRank (a step that needs more rows throws before writing anything) or MaxTokensPerRank, or raise the budget";
        }
        else
        {
            EpMemoryPlan flat = EpMemoryPlanner.Plan(spec with { Algorithm = EpAlgorithm.HighThroughput }, ranks, EpLayout.Flat);
            if (flat.TotalGiB <= spec.MemoryBudgetGiB)
            {
                property = lowLatency ? nameof(spec.Algorithm) : nameof(spec.Layout);
            }

            advice = string.Format(CultureInfo.InvariantCulture,
                lowLatency
                    ? "LowLatency reserves L × R × MaxTokensPerRank rows; HighThroughput with EpLayout.Flat would need {0:F2} GiB"
                    : "EpLayout.Flat would need {0:F2} GiB, and Permute sizes expert-major rows by the actual counts",
                flat.TotalGiB);
        }

        found.Add(new EpRuleViolation(EpRules.MemoryAboveBudget, property,
            layoutName, plan.TotalGiB, plan.ReceiveRows, ranks, spec.MemoryBudgetGiB, advice));
    }

    private static void RequirePositive(string property, int value, List<EpRuleViolation> found)
    {
        if (value <= 0)
        {
            found.Add(new EpRuleViolation(EpRules.NotPositive, property, property, value));
        }
    }

    private static string WhyUnsupported(EpPayload payload) => payload switch
    {
        EpPayload.Float8E4M3 or EpPayload.Float8E5M2 => "FP8 payloads are not supported by NCCL EP v0.1 (its release notes list FP8 as not supported)",
        _ => "NCCL EP moves bf16 tokens only and asserts on any other type",
    };
}
