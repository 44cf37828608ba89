using System;
using System.Globalization;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Per-call preconditions of NCCL EP v0.1 for one group's settings: element types, shapes, token counts, NULL/non-NULL
/// fields and window use, each of which NCCL EP asserts (process abort) rather than reports. Shape mistakes throw
/// <see cref="EpShapeException"/>, other argument mistakes <see cref="ArgumentException"/>, a backward pass on
/// LowLatency <see cref="NotSupportedException"/> (as <see cref="EpLayerRuntime"/> does); all before any native call.
/// A call that passes allocates nothing: the tensors are values, and messages are built only for a failure.
/// </summary>
internal sealed class NcclEpCallPreconditions
{
    private readonly NcclEpGroupSettings _settings;

    /// <summary>Checks calls against <paramref name="settings"/>.</summary>
    public NcclEpCallPreconditions(NcclEpGroupSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    private bool LowLatency => _settings.Algorithm == NcclEpAlgorithm.LowLatency;

    private bool ExpertMajor => _settings.Layout == NcclEpLayout.ExpertMajor;

    private string Mode => LowLatency ? "NCCL EP LowLatency" : ExpertMajor ? "NCCL EP HT ExpertMajor" : "NCCL EP HT Flat";

    /// <summary>
    /// <c>ncclEpUpdateHandle</c>: <paramref name="topkIdx"/> int64 [T, K] with T ≤ max_dispatch_tokens_per_rank.
    /// Returns T, the handle's num_tokens that Dispatch and Combine must then use.
    /// </summary>
    public int RequireUpdateHandle(in NcclEpTensorInfo topkIdx, NcclEpLayoutInfoTensors? layoutInfo = null)
    {
        RequireNoWindowForLowLatency(topkIdx);
        RequireType(topkIdx, NcclDataType.Int64, "NCCL EP asserts topk_idx is ncclInt64 (cast int32 routing ids to long)");
        RequireDimensions(topkIdx, 2, "NCCL EP asserts topk_idx is 2-D [num_tokens, top_k]");
        RequireColumns(topkIdx, _settings.TopK, "top_k", "NCCL EP asserts it equals the num_topk the handle was initialised with");
        RequireTokenCount(topkIdx);
        if (layoutInfo is not null)
        {
            if (LowLatency)
            {
                throw new ArgumentException(
                    "layoutInfo: NCCL EP LowLatency asserts layout_info is NULL in ncclEpUpdateHandle (LL writes its counters at Dispatch); pass null.",
                    nameof(layoutInfo));
            }

            RequireLayoutInfo(layoutInfo);
        }

        return topkIdx.Rows;
    }

    /// <summary>
    /// <c>ncclEpDispatch</c> on a handle last updated with <paramref name="handleTokens"/> tokens.
    /// </summary>
    public void RequireDispatch(NcclEpPassDirection direction, int handleTokens, in NcclEpDispatchTensors tensors)
    {
        RequireDirection(direction, "Dispatch");
        RequireNoWindowForLowLatency(tensors.Tokens, tensors.TopkWeights, tensors.OutputTokens, tensors.OutputTopkWeights, tensors.OutputTopkIdx, tensors.ExpertCounters);
        RequireTokens(tensors.Tokens, handleTokens);
        if (LowLatency)
        {
            RequireAbsent(tensors.TopkWeights, "topkWeights", "ExpertMajor dispatch takes no input weights (they are applied in Combine)");
            RequireAbsent(tensors.OutputTopkWeights, "outputTopkWeights", "ExpertMajor dispatch writes no weights");
            RequireAbsent(tensors.OutputTopkIdx, "outputTopkIdx", "ExpertMajor dispatch writes no expert ids");
            RequireLowLatencyRows(tensors.OutputTokens);
            NcclEpTensorInfo counters = RequirePresent(tensors.ExpertCounters, "expertCounters", "ExpertMajor dispatch writes per-expert counts to layout_info.expert_counters");
            RequireType(counters, NcclDataType.Int32, "NCCL EP asserts LL expert_counters is ncclInt32");
            RequireDimensions(counters, 1, "NCCL EP asserts LL expert_counters is 1-D [local experts]");
            RequireRows(counters, _settings.LocalExperts, "local experts", "NCCL EP asserts sizes[0] == num_local_experts");
            return;
        }

        RequireAtLeastRecvRows(tensors.OutputTokens, "receive slots (max_recv_tokens_per_rank)", requireHidden: true);
        if (direction == NcclEpPassDirection.Backward)
        {
            // A backward dispatch scatters gradients only; NCCL EP returns InvalidArgument or asserts on weight tensors.
            RequireAbsent(tensors.TopkWeights, "topkWeights", "a backward (BWD) dispatch moves tokens only");
            RequireAbsent(tensors.OutputTopkWeights, "outputTopkWeights", "a backward (BWD) dispatch moves tokens only");
            RequireAbsent(tensors.OutputTopkIdx, "outputTopkIdx", "a backward (BWD) dispatch moves tokens only");
            return;
        }

        NcclEpTensorInfo weights = RequirePresent(tensors.TopkWeights, "topkWeights", "a forward dispatch needs the routing weights f32 [T, K]");
        RequireType(weights, NcclDataType.Float32, "NCCL EP asserts topk_weights is ncclFloat32");
        RequireDimensions(weights, 2, "NCCL EP asserts topk_weights is 2-D [num_tokens, top_k]");
        RequireColumns(weights, _settings.TopK, "top_k", "NCCL EP asserts topk_weights.sizes[1] == num_topk");
        RequireRows(weights, handleTokens, "tokens (the handle's num_tokens)", "NCCL EP asserts topk_weights.sizes[0] == num_tokens");

        NcclEpTensorInfo outputWeights = RequirePresent(tensors.OutputTopkWeights, "outputTopkWeights", "a forward dispatch writes the received weights");
        RequireType(outputWeights, NcclDataType.Float32, "NCCL EP asserts recv topk_weights is ncclFloat32");
        if (ExpertMajor)
        {
            RequireAbsent(tensors.OutputTopkIdx, "outputTopkIdx", "ExpertMajor rows carry one expert each, so NCCL EP returns InvalidArgument for topk_idx");
            RequireDimensions(outputWeights, 1, "NCCL EP asserts HT ExpertMajor recv topk_weights is 1-D [N_slots]");
            RequireAtLeastRecvRows(outputWeights, "receive slots (max_recv_tokens_per_rank)", requireHidden: false);
            return;
        }

        RequireDimensions(outputWeights, 2, "NCCL EP asserts HT Flat recv topk_weights is 2-D [N_slots, top_k]");
        RequireColumns(outputWeights, _settings.TopK, "top_k", "HT Flat lists up to top_k local experts per received row");
        RequireAtLeastRecvRows(outputWeights, "receive slots (max_recv_tokens_per_rank)", requireHidden: false);
        NcclEpTensorInfo outputIdx = RequirePresent(tensors.OutputTopkIdx, "outputTopkIdx", "HT Flat forward dispatch writes the local expert ids [N_slots, K]");
        RequireType(outputIdx, NcclDataType.Int64, "NCCL EP asserts HT Flat recv topk_idx is ncclInt64");
        RequireDimensions(outputIdx, 2, "NCCL EP asserts HT Flat recv topk_idx is 2-D [N_slots, top_k]");
        RequireColumns(outputIdx, _settings.TopK, "top_k", "HT Flat lists up to top_k local experts per received row");
        RequireRows(outputIdx, outputWeights.Rows, "rows of outputTopkWeights", "NCCL EP returns InvalidArgument unless recv topk_idx and topk_weights have the same rows");
    }

    /// <summary><c>ncclEpCombine</c> on a handle last updated with <paramref name="handleTokens"/> tokens.</summary>
    public void RequireCombine(NcclEpPassDirection direction, int handleTokens, in NcclEpCombineTensors tensors)
    {
        RequireDirection(direction, "Combine");
        RequireNoWindowForLowLatency(tensors.Tokens, tensors.TopkWeights, tensors.OutputTokens, tensors.OutputTopkWeights);
        NcclEpTensorInfo input = tensors.Tokens;
        RequireType(input, NcclDataType.BFloat16, "NCCL EP v0.1 combines bf16 only (asserted)");
        NcclEpTensorInfo output = tensors.OutputTokens;
        RequireType(output, NcclDataType.BFloat16, "NCCL EP asserts the combine output has the input's type, bf16");
        RequireDimensions(output, 2, "NCCL EP asserts the combine output is 2-D [num_tokens, hidden]");
        RequireColumns(output, _settings.HiddenSize, "HiddenSize", "NCCL EP asserts the output hidden size equals the input's");
        RequireRows(output, handleTokens, "tokens (the handle's num_tokens)", "NCCL EP asserts the combine output has the token count of the last UpdateHandle");
        if (LowLatency)
        {
            RequireLowLatencyRows(input);
            RequireAbsent(tensors.TopkWeights, "topkWeights", "LowLatency combine reads the routing weights from outputs.topk_weights");
            NcclEpTensorInfo weights = RequirePresent(tensors.OutputTopkWeights, "outputTopkWeights", "ExpertMajor combine weights each expert's row by the caller's routing weights f32 [T, K]");
            RequireRoutingWeights(weights, handleTokens);
            return;
        }

        RequireDimensions(input, 2, "NCCL EP asserts the HT combine input is 2-D [N_slots, hidden]");
        RequireColumns(input, _settings.HiddenSize, "HiddenSize", "every row is max_token_bytes = hidden × 2 bytes at most");
        if (direction == NcclEpPassDirection.Forward)
        {
            RequireAbsent(tensors.TopkWeights, "topkWeights", "HT forward combine is an unweighted sum (apply the weights before Combine)");
            RequireAbsent(tensors.OutputTopkWeights, "outputTopkWeights", "HT forward combine returns no weights");
            return;
        }

        NcclEpTensorInfo inputWeights = RequirePresent(tensors.TopkWeights, "topkWeights", "a backward combine takes the received-weight gradients");
        RequireType(inputWeights, NcclDataType.Float32, "NCCL EP asserts topk_weights is ncclFloat32");
        if (ExpertMajor)
        {
            RequireDimensions(inputWeights, 1, "NCCL EP asserts HT ExpertMajor backward combine weights are 1-D [N_slots]");
        }
        else
        {
            RequireDimensions(inputWeights, 2, "NCCL EP asserts HT Flat backward combine weights are 2-D [N_slots, top_k]");
            RequireColumns(inputWeights, _settings.TopK, "top_k", "NCCL EP asserts the input top_k equals the output top_k");
        }

        NcclEpTensorInfo outputWeights = RequirePresent(tensors.OutputTopkWeights, "outputTopkWeights", "a backward combine returns the weight gradients f32 [T, K]");
        RequireRoutingWeights(outputWeights, handleTokens);
    }

    private void RequireDirection(NcclEpPassDirection direction, string operation)
    {
        if (direction == NcclEpPassDirection.Backward && LowLatency)
        {
            throw new NotSupportedException(
                $"{operation} with pass_direction BWD: NCCL EP LowLatency is forward-only (it returns InvalidUsage); use Algorithm = EpAlgorithm.HighThroughput to train.");
        }
    }

    private void RequireTokens(NcclEpTensorInfo tokens, int handleTokens)
    {
        RequireType(tokens, NcclDataType.BFloat16, "NCCL EP v0.1 dispatches bf16 only (asserted)");
        RequireDimensions(tokens, 2, "NCCL EP asserts tokens is 2-D [num_tokens, hidden]");
        if (tokens.Columns != _settings.HiddenSize)
        {
            RequireColumns(tokens, _settings.HiddenSize, "HiddenSize", Text($"NCCL EP asserts hidden × 2 ≤ max_token_bytes = {_settings.MaxTokenBytes}"));
        }

        RequireTokenCount(tokens);
        RequireRows(tokens, handleTokens, "tokens (the handle's num_tokens)",
            "NCCL EP asserts inputs.tokens.sizes[0] equals the token count of the last UpdateHandle (topk_idx rows)");
    }

    private void RequireTokenCount(NcclEpTensorInfo tensor)
    {
        if (tensor.Rows > _settings.MaxDispatchTokensPerRank)
        {
            throw new EpShapeException(tensor.Name, "at most rows (MaxTokensPerRank)", _settings.MaxDispatchTokensPerRank, tensor.Rows,
                "NCCL EP asserts num_tokens ≤ max_dispatch_tokens_per_rank, the size of its send buffers");
        }
    }

    private void RequireRoutingWeights(NcclEpTensorInfo weights, int handleTokens)
    {
        RequireType(weights, NcclDataType.Float32, "NCCL EP asserts topk_weights is ncclFloat32");
        RequireDimensions(weights, 2, "NCCL EP asserts topk_weights is 2-D [num_tokens, top_k]");
        RequireColumns(weights, _settings.TopK, "top_k", "NCCL EP asserts topk_weights.sizes[1] == top_k");
        RequireRows(weights, handleTokens, "tokens (the handle's num_tokens)", "NCCL EP asserts topk_weights.sizes[0] == num_tokens");
    }

    private void RequireLowLatencyRows(NcclEpTensorInfo tensor)
    {
        RequireType(tensor, NcclDataType.BFloat16, "NCCL EP v0.1 moves bf16 only (asserted)");
        RequireDimensions(tensor, 2, "Ep passes LowLatency's [L, R·maxTok, H] buffer as L × R·maxTok rows");
        RequireColumns(tensor, _settings.HiddenSize, "HiddenSize", "NCCL EP asserts sizes[2] == hidden");
        if (tensor.Rows != _settings.LowLatencyOutputRows)
        {
            RequireRows(tensor, _settings.LowLatencyOutputRows, "local experts × ranks × MaxTokensPerRank",
                Text($"NCCL EP LowLatency asserts the exact shape [L, R·maxTok, H] = [{_settings.LocalExperts}, {_settings.WorldSize * (long)_settings.MaxDispatchTokensPerRank}, {_settings.HiddenSize}]"));
        }
    }

    private void RequireAtLeastRecvRows(NcclEpTensorInfo tensor, string meaning, bool requireHidden)
    {
        if (requireHidden)
        {
            RequireType(tensor, NcclDataType.BFloat16, "NCCL EP v0.1 moves bf16 only (asserted)");
            RequireDimensions(tensor, 2, "NCCL EP asserts the HT dispatch output is 2-D [N_slots, hidden]");
            RequireColumns(tensor, _settings.HiddenSize, "HiddenSize", "each received row is one token");
        }

        if (tensor.Rows < _settings.MaxRecvTokensPerRank)
        {
            throw new EpShapeException(tensor.Name, "at least rows (" + meaning + ")", _settings.MaxRecvTokensPerRank, tensor.Rows,
                "NCCL EP HT needs N_slots ≥ max_recv_tokens_per_rank (it copies that many rows under graph capture and rejects smaller outputs)");
        }
    }

    private void RequireLayoutInfo(NcclEpLayoutInfoTensors info)
    {
        NcclDataType? shared = null;
        ReadOnlySpan<NcclEpTensorInfo?> counters = [info.ExpertCounters, info.ExpertOffsets, info.ReceiveTotal];
        foreach (NcclEpTensorInfo? present in counters)
        {
            if (present is not { } counter)
            {
                continue;
            }

            if (counter.DataType is not (NcclDataType.Int32 or NcclDataType.Int64))
            {
                throw new ArgumentException(Text($"{counter.Name}: expected element type Int32 or Int64, got {counter.ElementTypeName}; NCCL EP asserts layout_info counters are ncclInt32 or ncclInt64."), counter.Name);
            }

            if (shared is { } type && type != counter.DataType)
            {
                throw new ArgumentException(Text($"{counter.Name}: expected element type {type} like the other layout_info counters, got {counter.ElementTypeName}; NCCL EP asserts all preprocessing int outputs share one dtype."), counter.Name);
            }

            shared = counter.DataType;
            RequireDimensions(counter, 1, "NCCL EP asserts layout_info counters are 1-D");
        }

        if (info.ExpertCounters is { } expertCounters)
        {
            if (!ExpertMajor)
            {
                RequireType(expertCounters, NcclDataType.Int32, "NCCL EP asserts HT Flat expert_counters is ncclInt32");
            }

            RequireRowsAtLeast(expertCounters, _settings.LocalExperts, "local experts", "NCCL EP asserts sizes[0] ≥ num_local_experts");
        }

        if (info.ExpertOffsets is { } offsets)
        {
            if (!ExpertMajor)
            {
                throw new ArgumentException(Text($"{offsets.Name}: expert_offsets exists only for ExpertMajor (padded zone starts); {Mode} has none, pass null."), offsets.Name);
            }

            RequireRowsAtLeast(offsets, _settings.LocalExperts, "local experts", "NCCL EP asserts sizes[0] ≥ num_local_experts");
        }

        if (info.ReceiveTotal is { } total)
        {
            RequireRowsAtLeast(total, 1, "one counter", "NCCL EP asserts recv_total_counter.sizes[0] ≥ 1");
        }
    }

    private void RequireNoWindowForLowLatency(params ReadOnlySpan<NcclEpTensorInfo?> tensors)
    {
        if (!LowLatency)
        {
            return;
        }

        foreach (NcclEpTensorInfo? present in tensors)
        {
            if (present is { WindowBacked: true } tensor)
            {
                throw new ArgumentException(
                    $"{tensor.Name}: a window-backed (symmetric, zero-copy) tensor was passed to NCCL EP LowLatency, which reads ->data directly and so breaks on window-only tensors; pass it by pointer (zero-copy is HT only).",
                    tensor.Name);
            }
        }
    }

    private void RequireAbsent(NcclEpTensorInfo? tensor, string name, string why)
    {
        if (tensor is { } present)
        {
            throw new ArgumentException($"{name}: expected null for {Mode}, got a {present.ShapeText} tensor; {why}.", name);
        }
    }

    private NcclEpTensorInfo RequirePresent(NcclEpTensorInfo? tensor, string name, string why) =>
        tensor ?? throw new ArgumentException($"{name}: expected a tensor for {Mode}, got null; {why}.", name);

    private static void RequireType(in NcclEpTensorInfo tensor, NcclDataType expected, string why)
    {
        if (tensor.DataType != expected)
        {
            throw new ArgumentException(Text($"{tensor.Name}: expected element type {expected}, got {tensor.ElementTypeName}; {why}."), tensor.Name);
        }
    }

    private static void RequireDimensions(in NcclEpTensorInfo tensor, int dimensions, string why)
    {
        if (tensor.Dimensions != dimensions)
        {
            throw new EpShapeException(tensor.Name, "dimensions", dimensions, tensor.Dimensions, why);
        }
    }

    private static void RequireColumns(in NcclEpTensorInfo tensor, long columns, string meaning, string why)
    {
        if (tensor.Columns != columns)
        {
            throw new EpShapeException(tensor.Name, "columns (" + meaning + ")", columns, tensor.Columns, why);
        }
    }

    private static void RequireRows(in NcclEpTensorInfo tensor, long rows, string meaning, string why)
    {
        if (tensor.Rows != rows)
        {
            throw new EpShapeException(tensor.Name, "rows (" + meaning + ")", rows, tensor.Rows, why);
        }
    }

    private static void RequireRowsAtLeast(in NcclEpTensorInfo tensor, long rows, string meaning, string why)
    {
        if (tensor.Rows < rows)
        {
            throw new EpShapeException(tensor.Name, "at least rows (" + meaning + ")", rows, tensor.Rows, why);
        }
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
