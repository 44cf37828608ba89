namespace Ep.Engines.NcclEp;

/// <summary>The tensors of one <c>ncclEpDispatch</c> call; null = the field is passed as NULL. A value, passed by reference.</summary>
internal readonly record struct NcclEpDispatchTensors
{
    /// <summary><c>inputs.tokens</c> bf16 [T, H].</summary>
    public required NcclEpTensorInfo Tokens { get; init; }
    /// <summary><c>inputs.topk_weights</c> f32 [T, K]: HT forward only.</summary>
    public NcclEpTensorInfo? TopkWeights { get; init; }
    /// <summary><c>outputs.tokens</c>: HT [N_slots, H]; LL [L × R·maxTok, H] (NCCL EP's [L, R·maxTok, H]).</summary>
    public required NcclEpTensorInfo OutputTokens { get; init; }
    /// <summary><c>outputs.topk_weights</c>: HT forward Flat [N_slots, K], ExpertMajor [N_slots].</summary>
    public NcclEpTensorInfo? OutputTopkWeights { get; init; }
    /// <summary><c>outputs.topk_idx</c>: HT forward Flat int64 [N_slots, K].</summary>
    public NcclEpTensorInfo? OutputTopkIdx { get; init; }
    /// <summary><c>layout_info.expert_counters</c> int32 [L]: LL (Dispatch writes it).</summary>
    public NcclEpTensorInfo? ExpertCounters { get; init; }
}

/// <summary>The tensors of one <c>ncclEpCombine</c> call; null = the field is passed as NULL. A value, passed by reference.</summary>
internal readonly record struct NcclEpCombineTensors
{
    /// <summary><c>inputs.tokens</c>: HT [N_slots, H]; LL [L × R·maxTok, H].</summary>
    public required NcclEpTensorInfo Tokens { get; init; }
    /// <summary><c>inputs.topk_weights</c>: HT backward only (Flat [N, K], ExpertMajor [N]).</summary>
    public NcclEpTensorInfo? TopkWeights { get; init; }
    /// <summary><c>outputs.tokens</c> bf16 [T, H].</summary>
    public required NcclEpTensorInfo OutputTokens { get; init; }
    /// <summary><c>outputs.topk_weights</c> f32 [T, K]: LL (the routing weights) and HT backward (weight gradients).</summary>
    public NcclEpTensorInfo? OutputTopkWeights { get; init; }
}

/// <summary>The <c>layout_info</c> counters HT's <c>ncclEpUpdateHandle</c> may write; LL takes none.</summary>
internal sealed record NcclEpLayoutInfoTensors
{
    /// <summary><c>expert_counters</c> [≥ L]: Flat int32; ExpertMajor int32 or int64.</summary>
    public NcclEpTensorInfo? ExpertCounters { get; init; }
    /// <summary><c>expert_offsets</c> [≥ L]: ExpertMajor only.</summary>
    public NcclEpTensorInfo? ExpertOffsets { get; init; }
    /// <summary><c>recv_total_counter</c> [≥ 1].</summary>
    public NcclEpTensorInfo? ReceiveTotal { get; init; }
}
