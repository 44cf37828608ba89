using System;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>
/// The host side of a steady NcclEp step allocates nothing: the per-call NCCL EP checks (ep_bench shapes, with stand-in
/// tensor descriptions), the tensor descriptions themselves, and the reused result views. And the layer's shape is read
/// from its group settings.
/// </summary>
public sealed class NcclEpHotPathTests
{
    private const int H = 7168;
    private const int K = 8;

    private static readonly NcclEpCallPreconditions HtFlat = new(NcclEpGroupSettings.Create(NcclEpGroupSettingsTests.BenchHighThroughput, 8, 132));
    private static readonly NcclEpCallPreconditions HtExpertMajor = new(NcclEpGroupSettings.Create(
        NcclEpGroupSettingsTests.BenchHighThroughput with { Layout = EpLayout.ExpertMajor }, 8, 132));
    private static readonly NcclEpCallPreconditions Ll = new(NcclEpGroupSettings.Create(NcclEpGroupSettingsTests.BenchLowLatency, 8, 132));

    [Fact]
    public void Passing_call_checks_allocate_nothing()
    {
        NcclEpTensorInfo topkIdx = NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int64, 100, K);
        var flatDispatch = new NcclEpDispatchTensors
        {
            Tokens = NcclEpTensorInfo.Matrix("tokens", NcclDataType.BFloat16, 100, H),
            TopkWeights = NcclEpTensorInfo.Matrix("topkWeights", NcclDataType.Float32, 100, K),
            OutputTokens = NcclEpTensorInfo.Matrix("receivedTokens", NcclDataType.BFloat16, 32768, H, windowBacked: true),
            OutputTopkWeights = NcclEpTensorInfo.Matrix("receivedWeights", NcclDataType.Float32, 32768, K),
            OutputTopkIdx = NcclEpTensorInfo.Matrix("receivedIdx", NcclDataType.Int64, 32768, K),
        };
        var backwardDispatch = new NcclEpDispatchTensors
        {
            Tokens = NcclEpTensorInfo.Matrix("gradOutput", NcclDataType.BFloat16, 100, H),
            OutputTokens = NcclEpTensorInfo.Matrix("gradReceived", NcclDataType.BFloat16, 32768, H),
        };
        var flatCombine = new NcclEpCombineTensors
        {
            Tokens = NcclEpTensorInfo.Matrix("combineInput", NcclDataType.BFloat16, 32768, H),
            OutputTokens = NcclEpTensorInfo.Matrix("combined", NcclDataType.BFloat16, 100, H),
        };
        var backwardCombine = flatCombine with
        {
            TopkWeights = NcclEpTensorInfo.Matrix("gradReceivedWeights", NcclDataType.Float32, 32768, K),
            OutputTopkWeights = NcclEpTensorInfo.Matrix("gradTopkWeights", NcclDataType.Float32, 100, K),
        };
        var expertMajorDispatch = flatDispatch with
        {
            OutputTokens = NcclEpTensorInfo.Matrix("receivedTokens", NcclDataType.BFloat16, 262144, H),
            OutputTopkWeights = NcclEpTensorInfo.Vector("receivedWeights", NcclDataType.Float32, 262144),
            OutputTopkIdx = null,
        };
        NcclEpTensorInfo llIdx = NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int64, 128, K);
        var llDispatch = new NcclEpDispatchTensors
        {
            Tokens = NcclEpTensorInfo.Matrix("tokens", NcclDataType.BFloat16, 128, H),
            OutputTokens = NcclEpTensorInfo.Matrix("receivedTokens", NcclDataType.BFloat16, 32 * 8 * 128, H),
            ExpertCounters = NcclEpTensorInfo.Vector("expertCounters", NcclDataType.Int32, 32),
        };
        var llCombine = new NcclEpCombineTensors
        {
            Tokens = NcclEpTensorInfo.Matrix("combineInput", NcclDataType.BFloat16, 32 * 8 * 128, H),
            OutputTokens = NcclEpTensorInfo.Matrix("combined", NcclDataType.BFloat16, 128, H),
            OutputTopkWeights = NcclEpTensorInfo.Matrix("topkWeights", NcclDataType.Float32, 128, K),
        };

        void Step()
        {
            HtFlat.RequireUpdateHandle(topkIdx);
            HtFlat.RequireDispatch(NcclEpPassDirection.Forward, 100, flatDispatch);
            HtFlat.RequireCombine(NcclEpPassDirection.Forward, 100, flatCombine);
            HtFlat.RequireDispatch(NcclEpPassDirection.Backward, 100, backwardDispatch);
            HtFlat.RequireCombine(NcclEpPassDirection.Backward, 100, backwardCombine);
            HtExpertMajor.RequireUpdateHandle(topkIdx);
            HtExpertMajor.RequireDispatch(NcclEpPassDirection.Forward, 100, expertMajorDispatch);
            Ll.RequireUpdateHandle(llIdx);
            Ll.RequireDispatch(NcclEpPassDirection.Forward, 128, llDispatch);
            Ll.RequireCombine(NcclEpPassDirection.Forward, 128, llCombine);
        }

        Assert.Equal(0, AllocatedBy(Step));
    }

    [Fact]
    public void Describing_a_tensor_allocates_nothing()
    {
        using var tokens = DeviceTensor<BFloat16>.Allocate(EpDevice.Cpu, 4, 16);
        using var weights = DeviceTensor<float>.Allocate(EpDevice.Cpu, 4, K);
        int rows = 0;
        Assert.Equal(0, AllocatedBy(() =>
        {
            rows += NcclEpTensorInfo.Of(tokens, "tokens").Rows;
            rows += NcclEpTensorInfo.Of(weights, "topkWeights").Rows;
            rows += NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int64, 4, K).Rows;
        }));
        Assert.True(rows > 0);
        Assert.Equal(("BFloat16", NcclDataType.BFloat16), (NcclEpTensorInfo.Of(tokens, "tokens").ElementTypeName, NcclEpTensorInfo.Of(tokens, "tokens").DataType!.Value));
        Assert.Equal("Int64", NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int64, 4, K).ElementTypeName);
    }

    [Fact]
    public void Result_views_are_reused_while_the_row_count_repeats()
    {
        using var buffer = DeviceTensor<BFloat16>.Allocate(EpDevice.Cpu, 10, 4);
        var views = new StagedRowViews<BFloat16>(buffer);

        DeviceTensor<BFloat16> first = views.Rows(6);
        Assert.Equal(0, AllocatedBy(() => Assert.Same(first, views.Rows(6))));
        DeviceTensor<BFloat16> other = views.Rows(3);
        Assert.Equal((6, 3, 4), (first.Rows, other.Rows, other.Columns));
        Assert.NotSame(first, other);
        Assert.Equal(0, views.Rows(0).Rows);
    }

    [Theory]
    [InlineData(EpAlgorithm.HighThroughput, EpLayout.Flat, 8)]
    [InlineData(EpAlgorithm.HighThroughput, EpLayout.ExpertMajor, 8)]
    [InlineData(EpAlgorithm.LowLatency, EpLayout.ExpertMajor, 8)]
    [InlineData(EpAlgorithm.HighThroughput, EpLayout.Flat, 2)]
    public void The_layer_shape_is_read_from_the_group_settings(EpAlgorithm algorithm, EpLayout layout, int ranks)
    {
        EpLayerSpec spec = (algorithm == EpAlgorithm.LowLatency ? NcclEpGroupSettingsTests.BenchLowLatency : NcclEpGroupSettingsTests.BenchHighThroughput)
            with { Layout = layout };
        NcclEpLayerShape shape = NcclEpLayerShape.Of(NcclEpGroupSettings.Create(spec, ranks, 132));

        // What the layer derived from the spec before: the same sizes.
        int localExperts = spec.LocalExperts(ranks);
        bool lowLatency = algorithm == EpAlgorithm.LowLatency;
        bool expertMajor = lowLatency || layout == EpLayout.ExpertMajor;
        int groupRows = ranks * spec.MaxTokensPerRank;
        int flat = checked((int)spec.RecvCapacity(ranks));
        int slots = lowLatency ? localExperts * groupRows : expertMajor ? checked((int)spec.ExpertMajorCapacity(ranks)) : flat;
        int permuted = expertMajor ? slots : flat * Math.Min(spec.TopK, localExperts);
        Assert.Equal(new NcclEpLayerShape(ranks, localExperts, lowLatency, expertMajor, slots, permuted, groupRows), shape);
    }

    /// <summary>Bytes <paramref name="action"/> allocates on this thread once warm (JIT and first-use caches done).</summary>
    private static long AllocatedBy(Action action)
    {
        for (int i = 0; i < 50; i++)
        {
            action();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
