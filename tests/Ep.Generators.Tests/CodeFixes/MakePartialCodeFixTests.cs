using System.Threading.Tasks;
using Ep.CodeFixes;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>EP0001 and EP0002: <c>partial</c> goes right before <c>class</c>, after any other modifiers, keeping comments.</summary>
public sealed class MakePartialCodeFixTests
{
    private static readonly MakePartialCodeFixProvider Provider = new();

    [Fact]
    public Task EP0001_adds_partial_after_the_other_modifiers() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
        public sealed class {|EP0001:Moe|} { }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
        public sealed partial class Moe { }
        """, "Make 'Moe' partial");

    [Fact]
    public Task EP0001_without_modifiers_keeps_the_doc_comment_in_front() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        namespace Models
        {
            /// <summary>The layer.</summary>
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
            class {|EP0001:Moe|} { }
        }
        """, """
        using Ep;
        namespace Models
        {
            /// <summary>The layer.</summary>
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
            partial class Moe { }
        }
        """);

    [Fact]
    public Task EP0001_without_attributes_between_keeps_the_comment_before_partial() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
        // Routed FFN.
        class {|EP0001:Moe|} { }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
        // Routed FFN.
        partial class Moe { }
        """);

    [Fact]
    public Task EP0002_makes_the_containing_type_partial() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        public class {|EP0002:Outer|}
        {
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
            public partial class Moe { }
        }
        """, """
        using Ep;
        public partial class Outer
        {
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
            public partial class Moe { }
        }
        """, "Make 'Outer' partial");

    [Fact]
    public Task Fix_all_in_a_document_makes_both_layers_and_their_shared_containing_type_partial() => CodeFixHarness.VerifyFixAllAsync(
        Provider, MakePartialCodeFixProvider.EquivalenceKey, FixAllScope.Document, new[]
        {
            """
            using Ep;
            internal static class {|EP0002:Layers|}
            {
                [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
                public class {|EP0001:First|} { }

                [ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 128, MaxTokensPerRank = 64)]
                public class {|EP0001:Second|} { }
            }
            """,
        }, new[]
        {
            """
            using Ep;
            internal static partial class Layers
            {
                [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
                public partial class First { }

                [ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 128, MaxTokensPerRank = 64)]
                public partial class Second { }
            }
            """,
        });
}
