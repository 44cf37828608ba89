using System.Threading.Tasks;
using Ep.CodeFixes;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>EP0009: RecvCapacityPerRank is raised to the minimum, MaxTokensPerRank, written as that argument is.</summary>
public sealed class RecvCapacityCodeFixTests
{
    private static readonly RaiseRecvCapacityCodeFixProvider Provider = new();

    [Fact]
    public Task EP0009_raises_the_capacity_to_MaxTokensPerRank() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0009:RecvCapacityPerRank = 16|})]
        public partial class Moe { }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, RecvCapacityPerRank = 32)]
        public partial class Moe { }
        """, "Raise RecvCapacityPerRank to MaxTokensPerRank (32)");

    [Fact]
    public Task EP0009_negative_capacity_copies_a_named_MaxTokensPerRank() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = Moe.Tokens,
            {|EP0009:RecvCapacityPerRank = -1|} // too small
            )]
        public partial class Moe { public const int Tokens = 128; }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = Moe.Tokens,
            RecvCapacityPerRank = Moe.Tokens // too small
            )]
        public partial class Moe { public const int Tokens = 128; }
        """, "Raise RecvCapacityPerRank to MaxTokensPerRank (128)");

    [Fact]
    public Task EP0009_is_not_fixed_without_a_positive_MaxTokensPerRank() => CodeFixHarness.VerifyNoFixAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 0, {|EP0009:RecvCapacityPerRank = -4|})]
        public partial class Moe { }
        """);

    [Fact]
    public Task Fix_all_in_a_document_raises_each_layer_to_its_own_minimum() => CodeFixHarness.VerifyFixAllAsync(
        Provider, RaiseRecvCapacityCodeFixProvider.EquivalenceKey, FixAllScope.Document, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0009:RecvCapacityPerRank = 16|})]
            public partial class First { }

            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 4096, {|EP0009:RecvCapacityPerRank = 1024|})]
            public partial class Second { }
            """,
        }, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, RecvCapacityPerRank = 32)]
            public partial class First { }

            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 4096, RecvCapacityPerRank = 4096)]
            public partial class Second { }
            """,
        });
}
