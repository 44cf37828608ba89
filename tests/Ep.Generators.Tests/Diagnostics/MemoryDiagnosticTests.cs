using Xunit;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>
/// EP0013, the worst-case receive memory per rank above <c>MemoryBudgetGiB</c>. It points at what makes the buffers big:
/// <c>Layout</c> or <c>Algorithm</c> when Flat would fit the budget, else <c>MemoryBudgetGiB</c>.
/// </summary>
public sealed class MemoryDiagnosticTests
{
    [Fact]
    public void EP0013_ExpertMajor_above_the_budget_is_reported_at_Layout_when_Flat_would_fit()
    {
        // L = 64 / 8 = 8, capacity = 8 × 4096 = 32,768 rows; ExpertMajor = 32,768 × min(8, 8) = 262,144 rows.
        // 262,144 × 7168 × 2 B + 262,144 × (4 + 8) B = 3,761,242,112 B = 3.503 GiB. Flat: 32,768 × (14,336 + 8 × 12) B = 0.44 GiB.
        AnalyzerHarness.Verify("""
            using Ep;
            [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
                {|EP0013:Layout = EpLayout.ExpertMajor|}, MemoryBudgetGiB = 2)]
            public partial class Moe { }
            """, new Expected("EP0013", "ExpertMajor", 3_761_242_112 / Gib, 262_144L, 8, 2.0,
            "EpLayout.Flat would need 0.44 GiB, and Permute sizes expert-major rows by the actual counts"));
    }

    [Fact]
    public void EP0013_LowLatency_above_the_budget_is_reported_at_Algorithm_when_Flat_would_fit()
    {
        // LowLatency rows = L × R × T = 8 × 8 × 1024 = 65,536; 65,536 × (7168 × 2 + 12) B = 940,310,528 B = 0.88 GiB.
        // HighThroughput Flat: 8 × 1024 = 8192 rows × (14,336 + 8 × 12) B = 0.11 GiB.
        AnalyzerHarness.Verify("""
            using Ep;
            [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 1024, Ranks = 8,
                {|EP0013:Algorithm = EpAlgorithm.LowLatency|}, MemoryBudgetGiB = 0.5)]
            public partial class Moe { }
            """, new Expected("EP0013", "LowLatency ExpertMajor", 940_310_528 / Gib, 65_536L, 8, 0.5,
            "LowLatency reserves L × R × MaxTokensPerRank rows; HighThroughput with EpLayout.Flat would need 0.11 GiB"));
    }

    [Fact]
    public void EP0013_Flat_above_the_budget_is_reported_at_MemoryBudgetGiB()
    {
        // Flat rows = 8 × 8192 = 65,536; 65,536 × (4096 × 2 + 2 × 12) B = 538,443,776 B = 0.50 GiB.
        AnalyzerHarness.Verify("""
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 4096, MaxTokensPerRank = 8192, Ranks = 8,
                {|EP0013:MemoryBudgetGiB = 0.25|})]
            public partial class Moe { }
            """, new Expected("EP0013", "Flat", 538_443_776 / Gib, 65_536L, 8, 0.25,
            "Flat is already the smallest layout, so lower RecvCapacityPerRank (a step that needs more rows throws before writing anything) or MaxTokensPerRank, or raise the budget"));
    }

    [Fact]
    public void EP0013_ExpertMajor_is_reported_at_MemoryBudgetGiB_when_Flat_would_not_fit_either() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
            Layout = EpLayout.ExpertMajor, {|EP0013:MemoryBudgetGiB = 0.25|})]
        public partial class Moe { }
        """, new Expected("EP0013", "ExpertMajor", 3_761_242_112 / Gib, 262_144L, 8, 0.25,
        "EpLayout.Flat would need 0.44 GiB, and Permute sizes expert-major rows by the actual counts"));

    [Fact]
    public void The_planner_sizes_LowLatency_as_L_times_R_times_MaxTokensPerRank_rows()
    {
        var spec = new EpLayerSpec
        {
            Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 1024,
            Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor,
        };

        EpMemoryPlan plan = EpMemoryPlanner.Plan(spec, 8);

        Assert.Equal(EpAlgorithm.LowLatency, plan.Algorithm);
        Assert.Equal(8L * 8 * 1024, plan.ReceiveRows);
        Assert.Equal(940_310_528L, plan.TotalBytes);
        Assert.Equal(EpAlgorithm.HighThroughput, EpMemoryPlanner.Plan(spec, 8, EpLayout.Flat).Algorithm);
        Assert.Equal(8L * 1024, EpMemoryPlanner.Plan(spec, 8, EpLayout.Flat).ReceiveRows);
    }

    private const double Gib = 1024.0 * 1024.0 * 1024.0;
}
