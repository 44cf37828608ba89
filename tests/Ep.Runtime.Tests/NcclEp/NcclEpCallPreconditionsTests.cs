using System;
using Ep.Engines.NcclEp;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>One test per call-level NCCL EP precondition (ep_bench shapes: H = 7168, K = 8, E = 256, 8 ranks), with the text.</summary>
public sealed class NcclEpCallPreconditionsTests
{
    private const int H = 7168;
    private const int K = 8;
    private static readonly NcclEpCallPreconditions HtFlat = new(NcclEpGroupSettings.Create(NcclEpGroupSettingsTests.BenchHighThroughput, 8, 132));
    private static readonly NcclEpCallPreconditions HtExpertMajor = new(NcclEpGroupSettings.Create(
        NcclEpGroupSettingsTests.BenchHighThroughput with { Layout = EpLayout.ExpertMajor }, 8, 132));
    private static readonly NcclEpCallPreconditions Ll = new(NcclEpGroupSettings.Create(NcclEpGroupSettingsTests.BenchLowLatency, 8, 132));

    private static NcclEpTensorInfo Bf16(string name, int rows, int columns = H, bool window = false) => NcclEpTensorInfo.Matrix(name, NcclDataType.BFloat16, rows, columns, window);
    private static NcclEpTensorInfo F32(string name, int rows, int columns = K) => NcclEpTensorInfo.Matrix(name, NcclDataType.Float32, rows, columns);
    private static NcclEpTensorInfo I64(string name, int rows, int columns = K) => NcclEpTensorInfo.Matrix(name, NcclDataType.Int64, rows, columns);

    private static NcclEpDispatchTensors FlatDispatch(int tokens) => new()
    {
        Tokens = Bf16("tokens", tokens),
        TopkWeights = F32("topkWeights", tokens),
        OutputTokens = Bf16("outputTokens", 32768),
        OutputTopkWeights = F32("outputTopkWeights", 32768),
        OutputTopkIdx = I64("outputTopkIdx", 32768),
    };

    private static NcclEpDispatchTensors LlDispatch(int tokens) => new()
    {
        Tokens = Bf16("tokens", tokens),
        OutputTokens = Bf16("outputTokens", 32 * 8 * 128),
        ExpertCounters = NcclEpTensorInfo.Vector("expertCounters", NcclDataType.Int32, 32),
    };

    [Fact]
    public void Valid_calls_pass()
    {
        Assert.Equal(100, HtFlat.RequireUpdateHandle(I64("topkIdx", 100), new NcclEpLayoutInfoTensors
        {
            ExpertCounters = NcclEpTensorInfo.Vector("expertCounters", NcclDataType.Int32, 32),
            ReceiveTotal = NcclEpTensorInfo.Vector("recvTotal", NcclDataType.Int32, 1),
        }));
        HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 100, FlatDispatch(100));
        HtFlat.RequireDispatch(NcclEpPassDirection.Backward, 100, new NcclEpDispatchTensors { Tokens = Bf16("tokens", 100), OutputTokens = Bf16("outputTokens", 32768) });
        HtFlat.RequireCombine(NcclEpPassDirection.Forward, 100, new NcclEpCombineTensors { Tokens = Bf16("combineInput", 32768), OutputTokens = Bf16("output", 100) });
        HtExpertMajor.RequireDispatch(NcclEpPassDirection.Forward, 0, new NcclEpDispatchTensors
        {
            Tokens = Bf16("tokens", 0), TopkWeights = F32("topkWeights", 0),
            OutputTokens = Bf16("outputTokens", 262144), OutputTopkWeights = NcclEpTensorInfo.Vector("outputTopkWeights", NcclDataType.Float32, 262144),
        });
        Assert.Equal(128, Ll.RequireUpdateHandle(I64("topkIdx", 128)));
        Ll.RequireDispatch(NcclEpPassDirection.Forward, 128, LlDispatch(128));
        Ll.RequireCombine(NcclEpPassDirection.Forward, 128, new NcclEpCombineTensors
        {
            Tokens = Bf16("combineInput", 32 * 8 * 128), OutputTokens = Bf16("output", 128), OutputTopkWeights = F32("topkWeights", 128),
        });
    }

    [Fact]
    public void Tokens_above_max_dispatch_are_refused()
    {
        var e = Assert.Throws<EpShapeException>(() => HtFlat.RequireUpdateHandle(I64("topkIdx", 4097)));
        Assert.Equal("topkIdx: expected at most rows (MaxTokensPerRank) 4096, got 4097; NCCL EP asserts num_tokens ≤ max_dispatch_tokens_per_rank, the size of its send buffers. (Parameter 'topkIdx')", e.Message);
    }

    [Fact]
    public void Topk_idx_must_be_int64()
    {
        var e = Assert.Throws<ArgumentException>(() => HtFlat.RequireUpdateHandle(NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int32, 10, K)));
        Assert.Equal("topkIdx: expected element type Int64, got Int32; NCCL EP asserts topk_idx is ncclInt64 (cast int32 routing ids to long). (Parameter 'topkIdx')", e.Message);
    }

    [Fact]
    public void Topk_idx_must_have_top_k_columns()
    {
        var e = Assert.Throws<EpShapeException>(() => HtFlat.RequireUpdateHandle(I64("topkIdx", 10, 4)));
        Assert.Equal("topkIdx: expected columns (top_k) 8, got 4; NCCL EP asserts it equals the num_topk the handle was initialised with. (Parameter 'topkIdx')", e.Message);
    }

    [Fact]
    public void Topk_idx_must_be_two_dimensional()
    {
        var e = Assert.Throws<EpShapeException>(() => HtFlat.RequireUpdateHandle(NcclEpTensorInfo.Vector("topkIdx", NcclDataType.Int64, 80)));
        Assert.Equal("topkIdx: expected dimensions 2, got 1; NCCL EP asserts topk_idx is 2-D [num_tokens, top_k]. (Parameter 'topkIdx')", e.Message);
    }

    [Fact]
    public void Weights_must_be_f32()
    {
        NcclEpDispatchTensors call = FlatDispatch(10) with { TopkWeights = NcclEpTensorInfo.Matrix("topkWeights", NcclDataType.BFloat16, 10, K) };
        var e = Assert.Throws<ArgumentException>(() => HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 10, call));
        Assert.Equal("topkWeights: expected element type Float32, got BFloat16; NCCL EP asserts topk_weights is ncclFloat32. (Parameter 'topkWeights')", e.Message);
    }

    [Fact]
    public void Tokens_must_be_bf16()
    {
        NcclEpDispatchTensors call = FlatDispatch(10) with { Tokens = NcclEpTensorInfo.Matrix("tokens", NcclDataType.Float32, 10, H) };
        var e = Assert.Throws<ArgumentException>(() => HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 10, call));
        Assert.Equal("tokens: expected element type BFloat16, got Float32; NCCL EP v0.1 dispatches bf16 only (asserted). (Parameter 'tokens')", e.Message);
    }

    [Fact]
    public void Tensor_info_maps_element_types()
    {
        using var tokens = DeviceTensor<BFloat16>.Allocate(EpDevice.Cpu, 2, 8);
        using var doubles = DeviceTensor<double>.Allocate(EpDevice.Cpu, 2, 8);
        Assert.Equal(NcclDataType.BFloat16, NcclEpTensorInfo.Of(tokens, "tokens").DataType);
        NcclEpTensorInfo info = NcclEpTensorInfo.Of(doubles, "tokens");
        Assert.Null(info.DataType);

        var e = Assert.Throws<ArgumentException>(() => HtFlat.RequireCombine(NcclEpPassDirection.Forward, 2,
            new NcclEpCombineTensors { Tokens = info, OutputTokens = Bf16("output", 2) }));
        Assert.Equal("tokens: expected element type BFloat16, got Double; NCCL EP v0.1 combines bf16 only (asserted). (Parameter 'tokens')", e.Message);
        Assert.Throws<ArgumentException>(() => NcclEpTensorInfo.Of(tokens, "tokens", asWindow: true));
    }

    [Fact]
    public void Hidden_size_must_match_max_token_bytes()
    {
        NcclEpDispatchTensors call = FlatDispatch(10) with { Tokens = Bf16("tokens", 10, 8192) };
        var e = Assert.Throws<EpShapeException>(() => HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 10, call));
        Assert.Equal("tokens: expected columns (HiddenSize) 7168, got 8192; NCCL EP asserts hidden × 2 ≤ max_token_bytes = 14336. (Parameter 'tokens')", e.Message);
    }

    [Fact]
    public void Dispatch_tokens_must_equal_the_handles_token_count()
    {
        var e = Assert.Throws<EpShapeException>(() => Ll.RequireDispatch(NcclEpPassDirection.Forward, 64, LlDispatch(128)));
        Assert.Equal("tokens: expected rows (tokens (the handle's num_tokens)) 64, got 128; NCCL EP asserts inputs.tokens.sizes[0] equals the token count of the last UpdateHandle (topk_idx rows). (Parameter 'tokens')", e.Message);
    }

    [Fact]
    public void Combine_output_must_have_the_handles_token_count()
    {
        var e = Assert.Throws<EpShapeException>(() => HtFlat.RequireCombine(NcclEpPassDirection.Forward, 100,
            new NcclEpCombineTensors { Tokens = Bf16("combineInput", 32768), OutputTokens = Bf16("output", 99) }));
        Assert.Equal("output: expected rows (tokens (the handle's num_tokens)) 100, got 99; NCCL EP asserts the combine output has the token count of the last UpdateHandle. (Parameter 'output')", e.Message);
    }

    [Fact]
    public void Window_backed_tensors_are_refused_for_low_latency()
    {
        NcclEpDispatchTensors call = LlDispatch(128) with { OutputTokens = Bf16("outputTokens", 32 * 8 * 128, window: true) };
        var e = Assert.Throws<ArgumentException>(() => Ll.RequireDispatch(NcclEpPassDirection.Forward, 128, call));
        Assert.Equal("outputTokens: a window-backed (symmetric, zero-copy) tensor was passed to NCCL EP LowLatency, which reads ->data directly and so breaks on window-only tensors; pass it by pointer (zero-copy is HT only). (Parameter 'outputTokens')", e.Message);

        HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 10, FlatDispatch(10) with { OutputTokens = Bf16("outputTokens", 32768, window: true) });
    }

    [Fact]
    public void Backward_is_refused_for_low_latency()
    {
        var e = Assert.Throws<NotSupportedException>(() => Ll.RequireCombine(NcclEpPassDirection.Backward, 128,
            new NcclEpCombineTensors { Tokens = Bf16("combineInput", 32 * 8 * 128), OutputTokens = Bf16("output", 128) }));
        Assert.Equal("Combine with pass_direction BWD: NCCL EP LowLatency is forward-only (it returns InvalidUsage); use Algorithm = EpAlgorithm.HighThroughput to train.", e.Message);
    }

    [Fact]
    public void Low_latency_output_has_the_exact_expert_major_shape()
    {
        NcclEpDispatchTensors call = LlDispatch(128) with { OutputTokens = Bf16("outputTokens", 4096) };
        var e = Assert.Throws<EpShapeException>(() => Ll.RequireDispatch(NcclEpPassDirection.Forward, 128, call));
        Assert.Equal("outputTokens: expected rows (local experts × ranks × MaxTokensPerRank) 32768, got 4096; NCCL EP LowLatency asserts the exact shape [L, R·maxTok, H] = [32, 1024, 7168]. (Parameter 'outputTokens')", e.Message);
    }

    [Fact]
    public void Low_latency_dispatch_refuses_input_weights_and_needs_counters()
    {
        var e = Assert.Throws<ArgumentException>(() => Ll.RequireDispatch(NcclEpPassDirection.Forward, 128, LlDispatch(128) with { TopkWeights = F32("topkWeights", 128) }));
        Assert.Equal("topkWeights: expected null for NCCL EP LowLatency, got a [128, 8] tensor; ExpertMajor dispatch takes no input weights (they are applied in Combine). (Parameter 'topkWeights')", e.Message);

        e = Assert.Throws<ArgumentException>(() => Ll.RequireDispatch(NcclEpPassDirection.Forward, 128, LlDispatch(128) with { ExpertCounters = null }));
        Assert.Equal("expertCounters: expected a tensor for NCCL EP LowLatency, got null; ExpertMajor dispatch writes per-expert counts to layout_info.expert_counters. (Parameter 'expertCounters')", e.Message);
    }

    [Fact]
    public void Low_latency_update_takes_no_layout_info()
    {
        var e = Assert.Throws<ArgumentException>(() => Ll.RequireUpdateHandle(I64("topkIdx", 128), new NcclEpLayoutInfoTensors()));
        Assert.StartsWith("layoutInfo: NCCL EP LowLatency asserts layout_info is NULL in ncclEpUpdateHandle", e.Message);
    }

    [Fact]
    public void High_throughput_outputs_need_max_recv_rows()
    {
        NcclEpDispatchTensors call = FlatDispatch(10) with { OutputTokens = Bf16("outputTokens", 1000) };
        var e = Assert.Throws<EpShapeException>(() => HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 10, call));
        Assert.Equal("outputTokens: expected at least rows (receive slots (max_recv_tokens_per_rank)) 32768, got 1000; NCCL EP HT needs N_slots ≥ max_recv_tokens_per_rank (it copies that many rows under graph capture and rejects smaller outputs). (Parameter 'outputTokens')", e.Message);
    }

    [Fact]
    public void High_throughput_flat_forward_needs_int64_expert_ids()
    {
        var e = Assert.Throws<ArgumentException>(() => HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 10,
            FlatDispatch(10) with { OutputTopkIdx = NcclEpTensorInfo.Matrix("outputTopkIdx", NcclDataType.Int32, 32768, K) }));
        Assert.Equal("outputTopkIdx: expected element type Int64, got Int32; NCCL EP asserts HT Flat recv topk_idx is ncclInt64. (Parameter 'outputTopkIdx')", e.Message);
    }

    [Fact]
    public void High_throughput_expert_major_weights_are_one_dimensional_and_ids_null()
    {
        var call = new NcclEpDispatchTensors
        {
            Tokens = Bf16("tokens", 10), TopkWeights = F32("topkWeights", 10),
            OutputTokens = Bf16("outputTokens", 262144), OutputTopkWeights = F32("outputTopkWeights", 262144),
        };
        var e = Assert.Throws<EpShapeException>(() => HtExpertMajor.RequireDispatch(NcclEpPassDirection.Forward, 10, call));
        Assert.Equal("outputTopkWeights: expected dimensions 1, got 2; NCCL EP asserts HT ExpertMajor recv topk_weights is 1-D [N_slots]. (Parameter 'outputTopkWeights')", e.Message);

        var withIds = call with { OutputTopkWeights = NcclEpTensorInfo.Vector("outputTopkWeights", NcclDataType.Float32, 262144), OutputTopkIdx = I64("outputTopkIdx", 262144) };
        var ids = Assert.Throws<ArgumentException>(() => HtExpertMajor.RequireDispatch(NcclEpPassDirection.Forward, 10, withIds));
        Assert.StartsWith("outputTopkIdx: expected null for NCCL EP HT ExpertMajor, got a [262144, 8] tensor", ids.Message);
    }

    [Fact]
    public void Backward_dispatch_moves_tokens_only()
    {
        var e = Assert.Throws<ArgumentException>(() => HtFlat.RequireDispatch(NcclEpPassDirection.Backward, 10, FlatDispatch(10)));
        Assert.Equal("topkWeights: expected null for NCCL EP HT Flat, got a [10, 8] tensor; a backward (BWD) dispatch moves tokens only. (Parameter 'topkWeights')", e.Message);
    }

    [Fact]
    public void Backward_combine_needs_weight_tensors()
    {
        var e = Assert.Throws<ArgumentException>(() => HtFlat.RequireCombine(NcclEpPassDirection.Backward, 10,
            new NcclEpCombineTensors { Tokens = Bf16("combineInput", 32768), OutputTokens = Bf16("output", 10) }));
        Assert.Equal("topkWeights: expected a tensor for NCCL EP HT Flat, got null; a backward combine takes the received-weight gradients. (Parameter 'topkWeights')", e.Message);
    }

    [Fact]
    public void Layout_info_counters_share_one_integer_type()
    {
        var e = Assert.Throws<ArgumentException>(() => HtExpertMajor.RequireUpdateHandle(I64("topkIdx", 10), new NcclEpLayoutInfoTensors
        {
            ExpertCounters = NcclEpTensorInfo.Vector("expertCounters", NcclDataType.Int32, 32),
            ExpertOffsets = NcclEpTensorInfo.Vector("expertOffsets", NcclDataType.Int64, 32),
        }));
        Assert.Equal("expertOffsets: expected element type Int32 like the other layout_info counters, got Int64; NCCL EP asserts all preprocessing int outputs share one dtype. (Parameter 'expertOffsets')", e.Message);

        var flat = Assert.Throws<ArgumentException>(() => HtFlat.RequireUpdateHandle(I64("topkIdx", 10), new NcclEpLayoutInfoTensors
        {
            ExpertOffsets = NcclEpTensorInfo.Vector("expertOffsets", NcclDataType.Int32, 32),
        }));
        Assert.StartsWith("expertOffsets: expert_offsets exists only for ExpertMajor", flat.Message);
    }
}
