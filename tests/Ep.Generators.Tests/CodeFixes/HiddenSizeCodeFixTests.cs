using System.Threading.Tasks;
using Ep.CodeFixes;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>EP0007: an offered action that rounds HiddenSize up to the next multiple of 8 and names the value.</summary>
public sealed class HiddenSizeCodeFixTests
{
    private static readonly RoundHiddenSizeUpCodeFixProvider Provider = new();

    [Fact]
    public Task EP0007_rounds_up_to_the_next_multiple_of_8() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, {|EP0007:HiddenSize = 100|}, MaxTokensPerRank = 32)]
        public partial class Moe { }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 104, MaxTokensPerRank = 32)]
        public partial class Moe { }
        """, "Round HiddenSize up to 104");

    [Fact]
    public Task EP0007_below_8_rounds_up_to_8_and_reads_a_named_constant() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, {|EP0007:HiddenSize = Moe.Hidden|}, MaxTokensPerRank = 32)]
        public partial class Moe { public const int Hidden = 3; }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 8, MaxTokensPerRank = 32)]
        public partial class Moe { public const int Hidden = 3; }
        """, "Round HiddenSize up to 8");

    [Theory]
    [InlineData(1, 8)]
    [InlineData(7, 8)]
    [InlineData(9, 16)]
    [InlineData(7167, 7168)]
    public void RoundUp_gives_the_next_multiple_of_8(int hiddenSize, int expected) =>
        Assert.Equal(expected, RoundHiddenSizeUpCodeFixProvider.RoundUp(hiddenSize));

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(int.MaxValue)]
    public void RoundUp_has_no_answer_for_sizes_that_are_not_positive_or_do_not_fit(int hiddenSize) =>
        Assert.Null(RoundHiddenSizeUpCodeFixProvider.RoundUp(hiddenSize));

    [Fact]
    public Task Fix_all_in_a_document_rounds_each_layer_to_its_own_value() => CodeFixHarness.VerifyFixAllAsync(
        Provider, RoundHiddenSizeUpCodeFixProvider.EquivalenceKey, FixAllScope.Document, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, {|EP0007:HiddenSize = 100|}, MaxTokensPerRank = 32)]
            public partial class First { }

            [ExpertParallelLayer(Experts = 8, TopK = 2, {|EP0007:HiddenSize = 1020|}, MaxTokensPerRank = 32)]
            public partial class Second { }
            """,
        }, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 104, MaxTokensPerRank = 32)]
            public partial class First { }

            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 1024, MaxTokensPerRank = 32)]
            public partial class Second { }
            """,
        });
}
