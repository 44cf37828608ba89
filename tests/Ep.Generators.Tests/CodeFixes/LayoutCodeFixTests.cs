using System.Threading.Tasks;
using Ep.CodeFixes;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>
/// EP0013: Layout becomes Flat where the warning is at <c>Layout = …</c> (HighThroughput ExpertMajor, Flat fits the
/// budget), and nowhere else: not for LowLatency (Flat is EP0017 there) and not when Flat would not fit either.
/// </summary>
public sealed class LayoutCodeFixTests
{
    private static readonly SwitchLayoutToFlatCodeFixProvider Provider = new();

    [Fact]
    public Task EP0013_switches_ExpertMajor_to_Flat() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
            {|EP0013:Layout = EpLayout.ExpertMajor|}, MemoryBudgetGiB = 2)]
        public partial class Moe { }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
            Layout = EpLayout.Flat, MemoryBudgetGiB = 2)]
        public partial class Moe { }
        """, "Switch Layout to EpLayout.Flat");

    [Fact]
    public Task EP0013_inside_namespace_Ep_uses_the_short_name() => CodeFixHarness.VerifyAsync(Provider, """
        namespace Ep.Models;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
            {|EP0013:Layout = EpLayout.ExpertMajor|}, MemoryBudgetGiB = 2)]
        public partial class Moe { }
        """, """
        namespace Ep.Models;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
            Layout = EpLayout.Flat, MemoryBudgetGiB = 2)]
        public partial class Moe { }
        """);

    [Fact]
    public Task EP0013_at_Algorithm_for_LowLatency_has_no_fix() => CodeFixHarness.VerifyNoFixAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 1024, Ranks = 8,
            {|EP0013:Algorithm = EpAlgorithm.LowLatency|}, MemoryBudgetGiB = 0.5)]
        public partial class Moe { }
        """);

    [Fact]
    public Task EP0013_at_MemoryBudgetGiB_has_no_fix_because_Flat_would_not_fit_either() => CodeFixHarness.VerifyNoFixAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
            Layout = EpLayout.ExpertMajor, {|EP0013:MemoryBudgetGiB = 0.25|})]
        public partial class Moe { }
        """);

    [Fact]
    public Task Fix_all_in_a_document_switches_both_layers() => CodeFixHarness.VerifyFixAllAsync(
        Provider, SwitchLayoutToFlatCodeFixProvider.EquivalenceKey, FixAllScope.Document, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
                {|EP0013:Layout = EpLayout.ExpertMajor|}, MemoryBudgetGiB = 2)]
            public partial class First { }

            [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 4096, MaxTokensPerRank = 4096, Ranks = 8,
                {|EP0013:Layout = EpLayout.ExpertMajor|}, MemoryBudgetGiB = 1)]
            public partial class Second { }
            """,
        }, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
                Layout = EpLayout.Flat, MemoryBudgetGiB = 2)]
            public partial class First { }

            [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 4096, MaxTokensPerRank = 4096, Ranks = 8,
                Layout = EpLayout.Flat, MemoryBudgetGiB = 1)]
            public partial class Second { }
            """,
        });
}
