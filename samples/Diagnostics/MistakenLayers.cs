using Ep;

namespace Samples.Diagnostics;

// Each line's comment names the diagnostic it causes.

// EP0005 (TopK above Experts), EP0007 (HiddenSize not a multiple of 8), EP0008 (FP8 payload),
// EP0009 (capacity below MaxTokensPerRank), EP0019 (alignment ignored by Flat).
[ExpertParallelLayer(Experts = 4, TopK = 6, HiddenSize = 1020, MaxTokensPerRank = 4096,
    Payload = EpPayload.Float8E4M3, RecvCapacityPerRank = 1024, ExpertAlignment = 16)]
public partial class ConfusedMoe;

// EP0010 (256 experts over 6 ranks).
[ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 6)]
public partial class UnevenMoe;

// EP0012 (128 local experts for ExpertMajor).
[ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 2,
    Layout = EpLayout.ExpertMajor)]
public partial class CrowdedMoe;

// EP0013 (ExpertMajor needs 3.50 GiB per rank; Flat would need 0.44 GiB).
[ExpertParallelLayer(Experts = 64, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096, Ranks = 8,
    Layout = EpLayout.ExpertMajor, MemoryBudgetGiB = 2)]
public partial class HungryMoe;

// EP0006 (TopK 12 above LowLatency's 9), EP0015 (hidden size LowLatency lacks), EP0018 (ZeroCopy with LowLatency).
[ExpertParallelLayer(Experts = 64, TopK = 12, HiddenSize = 1024, MaxTokensPerRank = 128,
    Algorithm = EpAlgorithm.LowLatency, ZeroCopy = true)]
public partial class DecodeMoe;

// EP0004 (MaxTokensPerRank missing).
[ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64)]
public partial class IncompleteMoe;

// EP0001 (not partial).
[ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
public class SealedOffMoe;

// EP0022 (static).
[ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
public static partial class StaticMoe;

// EP0002 (containing type not partial).
public class Model
{
    [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
    public partial class FeedForward;
}
