using System.Threading.Tasks;
using Ep.CodeFixes;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>EP0008: the payload becomes BFloat16, named as short as the file's usings allow.</summary>
public sealed class PayloadCodeFixTests
{
    private static readonly SetPayloadToBFloat16CodeFixProvider Provider = new();

    [Fact]
    public Task EP0008_sets_BFloat16_and_keeps_the_comment_after_it() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32,
            {|EP0008:Payload = EpPayload.Float8E4M3|} /* smaller */, Ranks = 2)]
        public partial class Moe { }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32,
            Payload = EpPayload.BFloat16 /* smaller */, Ranks = 2)]
        public partial class Moe { }
        """, "Set Payload = EpPayload.BFloat16");

    [Fact]
    public Task EP0008_without_using_Ep_writes_a_qualified_name() => CodeFixHarness.VerifyAsync(Provider, """
        [Ep.ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0008:Payload = Ep.EpPayload.Float32|})]
        public partial class Moe { }
        """, """
        [Ep.ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, Payload = Ep.EpPayload.BFloat16)]
        public partial class Moe { }
        """);

    [Fact]
    public Task EP0008_replaces_a_cast_constant() => CodeFixHarness.VerifyAsync(Provider, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0008:Payload = (EpPayload)1|})]
        public partial class Moe { }
        """, """
        using Ep;
        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, Payload = EpPayload.BFloat16)]
        public partial class Moe { }
        """);

    [Fact]
    public Task Fix_all_in_a_document_fixes_both_layers() => CodeFixHarness.VerifyFixAllAsync(
        Provider, SetPayloadToBFloat16CodeFixProvider.EquivalenceKey, FixAllScope.Document, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0008:Payload = EpPayload.Float16|})]
            public partial class First { }

            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0008:Payload = EpPayload.Float8E5M2|})]
            public partial class Second { }
            """,
        }, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, Payload = EpPayload.BFloat16)]
            public partial class First { }

            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, Payload = EpPayload.BFloat16)]
            public partial class Second { }
            """,
        });

    [Fact]
    public Task Fix_all_in_the_project_fixes_every_document() => CodeFixHarness.VerifyFixAllAsync(
        Provider, SetPayloadToBFloat16CodeFixProvider.EquivalenceKey, FixAllScope.Project, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0008:Payload = EpPayload.Float16|})]
            public partial class First { }
            """,
            """
            [Ep.ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, {|EP0008:Payload = Ep.EpPayload.Float32|})]
            public partial class Second { }
            """,
        }, new[]
        {
            """
            using Ep;
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, Payload = EpPayload.BFloat16)]
            public partial class First { }
            """,
            """
            [Ep.ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, Payload = Ep.EpPayload.BFloat16)]
            public partial class Second { }
            """,
        });
}
