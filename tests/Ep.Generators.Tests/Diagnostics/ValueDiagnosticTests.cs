using Xunit;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>One test per rule on the attribute's values: the span is the argument that is wrong.</summary>
public sealed class ValueDiagnosticTests
{
    [Fact]
    public void EP0004_a_missing_required_size_is_reported_at_the_attribute_name() => AnalyzerHarness.Verify("""
        using Ep;
        [{|EP0004:ExpertParallelLayer|}(Experts = 8, TopK = 2, HiddenSize = 64)]
        public partial class Moe { }
        """, new Expected("EP0004", "MaxTokensPerRank", 0));

    [Fact]
    public void EP0004_a_size_that_is_not_positive_is_reported_at_its_argument() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, {|EP0004:TopK = 0|}, HiddenSize = 64, MaxTokensPerRank = 32)]
        public partial class Moe { }
        """, new Expected("EP0004", "TopK", 0));

    [Fact]
    public void EP0005_TopK_above_Experts_is_reported_at_TopK() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 4, {|EP0005:TopK = 6|}, HiddenSize = 64, MaxTokensPerRank = 32)]
        public partial class Moe { }
        """, new Expected("EP0005", 6, 4));

    [Fact]
    public void EP0006_TopK_above_the_HighThroughput_limit_is_reported_at_TopK() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 64, {|EP0006:TopK = 33|}, HiddenSize = 64, MaxTokensPerRank = 32)]
        public partial class Moe { }
        """, new Expected("EP0006", 33, "HighThroughput", 32));

    [Fact]
    public void EP0006_TopK_above_the_LowLatency_limit_is_reported_at_TopK() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 64, {|EP0006:TopK = 10|}, HiddenSize = 7168, MaxTokensPerRank = 128, Algorithm = EpAlgorithm.LowLatency)]
        public partial class Moe { }
        """, new Expected("EP0006", 10, "LowLatency", 9));

    [Fact]
    public void EP0007_a_hidden_size_that_is_not_a_multiple_of_8_is_reported_with_the_nearest_valid_sizes() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, {|EP0007:HiddenSize = 100|}, MaxTokensPerRank = 32)]
        public partial class Moe { }
        """, new Expected("EP0007", 100, 96, 104));

    [Fact]
    public void EP0008_an_FP8_payload_is_reported_at_Payload() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0008:Payload = EpPayload.Float8E4M3|})]
        public partial class Moe { }
        """, new Expected("EP0008", EpPayload.Float8E4M3,
            "FP8 payloads are not supported by NCCL EP v0.1 (its release notes list FP8 as not supported)"));

    [Fact]
    public void EP0009_a_receive_capacity_below_MaxTokensPerRank_is_reported_at_RecvCapacityPerRank() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0009:RecvCapacityPerRank = 16|})]
        public partial class Moe { }
        """, new Expected("EP0009", 16, 32));

    [Fact]
    public void EP0010_experts_that_do_not_divide_over_the_ranks_are_reported_at_Ranks() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 10, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0010:Ranks = 4|})]
        public partial class Moe { }
        """, new Expected("EP0010", 10, 4));

    [Fact]
    public void EP0011_more_ranks_than_NCCL_EP_supports_are_reported_at_Ranks() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 128, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0011:Ranks = 128|})]
        public partial class Moe { }
        """, new Expected("EP0011", 128, 64));

    [Fact]
    public void EP0012_too_many_local_experts_for_ExpertMajor_are_reported_at_Layout() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 64, MaxTokensPerRank = 32, Ranks = 2,
            {|EP0012:Layout = EpLayout.ExpertMajor|})]
        public partial class Moe { }
        """, new Expected("EP0012", 128, 256, 2, 64));

    [Fact]
    public void EP0014_more_tokens_than_NCCL_EP_handles_is_a_warning_at_MaxTokensPerRank() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, {|EP0014:MaxTokensPerRank = 16384|})]
        public partial class Moe { }
        """, new Expected("EP0014", 16384, 8192));

    [Fact]
    public void EP0015_a_hidden_size_LowLatency_lacks_is_reported_at_HiddenSize() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, {|EP0015:HiddenSize = 1024|}, MaxTokensPerRank = 128, Algorithm = EpAlgorithm.LowLatency)]
        public partial class Moe { }
        """, new Expected("EP0015", 1024, "2048, 2560, 4096, 5120, 6144, 7168, 8192"));

    [Fact]
    public void EP0016_an_alignment_that_is_not_a_power_of_two_is_reported_at_ExpertAlignment() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32,
            Layout = EpLayout.ExpertMajor, {|EP0016:ExpertAlignment = 24|})]
        public partial class Moe { }
        """, new Expected("EP0016", 24));

    [Fact]
    public void EP0017_LowLatency_with_the_Flat_layout_is_reported_at_Layout() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 7168, MaxTokensPerRank = 128,
            Algorithm = EpAlgorithm.LowLatency, {|EP0017:Layout = EpLayout.Flat|})]
        public partial class Moe { }
        """, new Expected("EP0017", EpLayout.Flat));

    [Fact]
    public void EP0018_ZeroCopy_with_LowLatency_is_reported_at_ZeroCopy() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 7168, MaxTokensPerRank = 128,
            Algorithm = EpAlgorithm.LowLatency, {|EP0018:ZeroCopy = true|})]
        public partial class Moe { }
        """, new Expected("EP0018"));

    [Fact]
    public void EP0019_an_alignment_with_the_Flat_layout_is_a_warning_at_ExpertAlignment() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0019:ExpertAlignment = 16|})]
        public partial class Moe { }
        """, new Expected("EP0019", 16));

    [Fact]
    public void EP0020_a_negative_budget_is_reported_at_MemoryBudgetGiB_in_the_invariant_culture() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0020:MemoryBudgetGiB = -1.5|})]
        public partial class Moe { }
        """, new Expected("EP0020", -1.5));

    [Fact]
    public void EP0021_LowLatency_rows_not_divisible_by_4_are_reported_at_MaxTokensPerRank() => AnalyzerHarness.Verify("""
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 7168, {|EP0021:MaxTokensPerRank = 2|}, Ranks = 8,
            Algorithm = EpAlgorithm.LowLatency)]
        public partial class Moe { }
        """, new Expected("EP0021", 2, 1, 2L));
}
