namespace Ep.Generators.Tests.Support;

/// <summary>User code declaring the layers the generator tests use.</summary>
internal static class LayerSources
{
    public const string DeepSeek = """
        using Ep;

        namespace Samples
        {
            [ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096)]
            public partial class DeepSeekMoe;
        }
        """;

    public const string ExpertMajor = """
        using Ep;

        namespace Samples
        {
            [ExpertParallelLayer(Experts = 64, TopK = 6, HiddenSize = 2048, MaxTokensPerRank = 1024,
                Layout = EpLayout.ExpertMajor, ExpertAlignment = 128)]
            public partial class GroupedGemmMoe;
        }
        """;

    public const string ZeroCopy = """
        using Ep;

        namespace Samples
        {
            [ExpertParallelLayer(Experts = 128, TopK = 4, HiddenSize = 4096, MaxTokensPerRank = 2048, ZeroCopy = true)]
            public partial class ZeroCopyMoe;
        }
        """;

    public const string Weighted = """
        using Ep;

        namespace Samples
        {
            [ExpertParallelLayer(Experts = 32, TopK = 2, HiddenSize = 1024, MaxTokensPerRank = 512,
                ApplyWeightsInCombine = true, Ranks = 8, RecvCapacityPerRank = 2048, MemoryBudgetGiB = 1.5)]
            internal partial class WeightedMoe;
        }
        """;

    /// <summary>A layer in a nested namespace, inside a partial class inside a partial record.</summary>
    public const string Nested = """
        using Ep;

        namespace Company.Models.Moe
        {
            public partial record Transformer
            {
                internal partial class Block
                {
                    [ExpertParallelLayer(Experts = 16, TopK = 2, HiddenSize = 512, MaxTokensPerRank = 128)]
                    private sealed partial class FeedForward;
                }
            }
        }
        """;

    /// <summary>A layer in the global namespace with the LowLatency algorithm.</summary>
    public const string LowLatencyGlobal = """
        using Ep;

        [ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 128, Algorithm = EpAlgorithm.LowLatency)]
        public partial class DecodeMoe;
        """;
}
