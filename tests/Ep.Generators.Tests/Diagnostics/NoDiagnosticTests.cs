using Ep.Generators.Tests.Support;
using Xunit;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>Valid layers, in every shape the generator supports, get no diagnostics at all.</summary>
public sealed class NoDiagnosticTests
{
    public static TheoryData<string> ValidLayers => new()
    {
        LayerSources.DeepSeek,
        LayerSources.ExpertMajor,
        LayerSources.ZeroCopy,
        LayerSources.Weighted,
        LayerSources.Nested,
        LayerSources.LowLatencyGlobal,
        """
        using Ep;
        public partial interface IModel
        {
            [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 128, Ranks = 8,
                Algorithm = EpAlgorithm.LowLatency, MemoryBudgetGiB = 1)]
            public sealed partial class Decode { }
        }
        """,
        """
        using Ep;
        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
            Layout = EpLayout.ExpertMajor, ExpertAlignment = 128, MemoryBudgetGiB = 8)]
        public abstract partial class Grouped { }
        """,
    };

    [Theory]
    [MemberData(nameof(ValidLayers))]
    public void Valid_layers_produce_no_diagnostics(string source) =>
        Assert.Empty(AnalyzerHarness.Analyze(source, TestContext.Current.CancellationToken));

    [Fact]
    public void An_attribute_of_the_same_name_in_another_namespace_is_ignored() =>
        Assert.Empty(AnalyzerHarness.Analyze("""
            namespace Other
            {
                public sealed class ExpertParallelLayerAttribute : System.Attribute { public int TopK { get; set; } }

                [ExpertParallelLayer(TopK = -1)]
                public class NotALayer { }
            }
            """, TestContext.Current.CancellationToken));
}
