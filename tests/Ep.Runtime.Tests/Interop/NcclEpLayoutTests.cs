using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ep.Interop.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.Interop;

/// <summary>
/// The C# mirrors of nccl_ep.h v0.1 against the header's x86-64 layout (sizes and offsets as gcc's offsetof reports
/// them). NCCL EP rejects or misreads a struct whose size field differs from its own sizeof, so these are exact.
/// </summary>
public sealed class NcclEpLayoutTests
{
    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public void Struct_sizes_match_the_header()
    {
        Assert.Equal(48, Unsafe.SizeOf<NcclEpTensor>());
        Assert.Equal(8, Unsafe.SizeOf<NcclEpTensorAllocConfig>());
        Assert.Equal(24, Unsafe.SizeOf<NcclEpAllocConfig>());
        Assert.Equal(96, Unsafe.SizeOf<NcclEpGroupConfig>());
        Assert.Equal(40, Unsafe.SizeOf<NcclEpLayoutInfo>());
        Assert.Equal(32, Unsafe.SizeOf<NcclEpDispatchInputs>());
        Assert.Equal(40, Unsafe.SizeOf<NcclEpDispatchOutputs>());
        Assert.Equal(24, Unsafe.SizeOf<NcclEpCombineInputs>());
        Assert.Equal(24, Unsafe.SizeOf<NcclEpCombineOutputs>());
        Assert.Equal(16, Unsafe.SizeOf<NcclEpHandleConfig>());
        Assert.Equal(20, Unsafe.SizeOf<NcclEpDispatchConfig>());
        Assert.Equal(16, Unsafe.SizeOf<NcclEpCombineConfig>());
        Assert.Equal(8, Unsafe.SizeOf<NcclEpCompleteConfig>());
    }

    [Fact]
    public void Tensor_offsets_match_the_header()
    {
        Assert.Equal(8, Offset<NcclEpTensor>(nameof(NcclEpTensor.Dimensions)));
        Assert.Equal(12, Offset<NcclEpTensor>(nameof(NcclEpTensor.DataType)));
        Assert.Equal(16, Offset<NcclEpTensor>(nameof(NcclEpTensor.Data)));
        Assert.Equal(24, Offset<NcclEpTensor>(nameof(NcclEpTensor.Window)));
        Assert.Equal(32, Offset<NcclEpTensor>(nameof(NcclEpTensor.WindowOffset)));
        Assert.Equal(40, Offset<NcclEpTensor>(nameof(NcclEpTensor.Sizes)));
    }

    [Fact]
    public void Group_config_offsets_match_the_header()
    {
        Assert.Equal(8, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.Version)));
        Assert.Equal(12, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.Algorithm)));
        Assert.Equal(16, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.NumExperts)));
        Assert.Equal(20, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.MaxDispatchTokensPerRank)));
        Assert.Equal(24, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.MaxRecvTokensPerRank)));
        Assert.Equal(28, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.MaxTokenBytes)));
        Assert.Equal(32, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.RdmaBufferSize)));
        Assert.Equal(40, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.NumQpPerRank)));
        Assert.Equal(44, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.NumChannels)));
        Assert.Equal(48, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.MaxNumSms)));
        Assert.Equal(56, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.Alloc)));
        Assert.Equal(80, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.EnableMask)));
        Assert.Equal(88, Offset<NcclEpGroupConfig>(nameof(NcclEpGroupConfig.TimeoutNanoseconds)));
    }

    [Fact]
    public void Pointer_struct_offsets_match_the_header()
    {
        Assert.Equal(8, Offset<NcclEpLayoutInfo>(nameof(NcclEpLayoutInfo.ExpertCounters)));
        Assert.Equal(16, Offset<NcclEpLayoutInfo>(nameof(NcclEpLayoutInfo.SourceRankCounters)));
        Assert.Equal(24, Offset<NcclEpLayoutInfo>(nameof(NcclEpLayoutInfo.ExpertOffsets)));
        Assert.Equal(32, Offset<NcclEpLayoutInfo>(nameof(NcclEpLayoutInfo.ReceiveTotalCounter)));
        Assert.Equal(32, Offset<NcclEpDispatchOutputs>(nameof(NcclEpDispatchOutputs.TopkIdx)));
        Assert.Equal(16, Offset<NcclEpCombineInputs>(nameof(NcclEpCombineInputs.TopkWeights)));
        Assert.Equal(8, Offset<NcclEpHandleConfig>(nameof(NcclEpHandleConfig.DispatchOutputPerExpertAlignment)));
        Assert.Equal(16, Offset<NcclEpDispatchConfig>(nameof(NcclEpDispatchConfig.PassDirection)));
        Assert.Equal(12, Offset<NcclEpCombineConfig>(nameof(NcclEpCombineConfig.PassDirection)));
    }

    [Fact]
    public unsafe void Constructors_set_size_magic_and_version()
    {
        NcclEpGroupConfig group = NcclEpGroupConfig.Create();
        Assert.Equal(96u, group.Size);
        Assert.Equal(0xC00FFFEEu, group.Magic);
        Assert.Equal(1u, group.Version);

        nuint* sizes = stackalloc nuint[2] { 4, 16 };
        NcclEpTensor tensor = NcclEpTensor.Create(dataType: 9, dimensions: 2, sizes, data: 0x1000);
        Assert.Equal((48u, 0xCAFECAFEu, 2u, 9), (tensor.Size, tensor.Magic, tensor.Dimensions, tensor.DataType));

        Assert.Equal((20u, 0xC00FFFEEu, NcclEpPassDirection.Backward),
            (NcclEpDispatchConfig.Create(NcclEpPassDirection.Backward).Size, NcclEpDispatchConfig.Create(NcclEpPassDirection.Backward).Magic, NcclEpDispatchConfig.Create(NcclEpPassDirection.Backward).PassDirection));
        Assert.Equal(16u, NcclEpCombineConfig.Create(NcclEpPassDirection.Forward).Size);
        Assert.Equal((16u, (nuint)128), (NcclEpHandleConfig.Create(128).Size, NcclEpHandleConfig.Create(128).DispatchOutputPerExpertAlignment));
        Assert.Equal(40u, NcclEpLayoutInfo.Create().Size);
        Assert.Equal(32u, NcclEpDispatchInputs.Create().Size);
        Assert.Equal(40u, NcclEpDispatchOutputs.Create().Size);
        Assert.Equal(24u, NcclEpCombineInputs.Create().Size);
        Assert.Equal(24u, NcclEpCombineOutputs.Create().Size);
        Assert.Equal(8u, NcclEpCompleteConfig.Create().Size);
        Assert.Equal(8u, NcclEpTensorAllocConfig.Create().Size);
    }

    [Fact]
    public void Enum_values_match_ep_enums_h()
    {
        Assert.Equal((0, 1), ((int)NcclEpAlgorithm.LowLatency, (int)NcclEpAlgorithm.HighThroughput));
        Assert.Equal((0, 1, 2, 3), ((int)NcclEpLayout.Unset, (int)NcclEpLayout.ExpertMajor, (int)NcclEpLayout.RankMajor, (int)NcclEpLayout.Flat));
        Assert.Equal((0, 1), ((int)NcclEpPassDirection.Forward, (int)NcclEpPassDirection.Backward));
    }

    [Theory]
    [InlineData(100, 23003, null)]
    [InlineData(100, 23007, null)]
    [InlineData(101, 23100, null)]
    [InlineData(200, 23003, "NCCL EP 0.2.0 is loaded, but Ep binds NCCL EP 0.1.0")]
    [InlineData(100, 22803, "NCCL 2.28.3 is loaded, but NCCL EP needs NCCL ≥ 2.30.3")]
    [InlineData(100, 22907, "NCCL 2.29.7 is loaded")]
    public void Versions_are_checked_with_a_message_naming_both(int ep, int nccl, string? expected)
    {
        string? problem = new NcclEpVersions(ep, nccl).Problem();

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.NotNull(problem);
            Assert.StartsWith(expected, problem, StringComparison.Ordinal);
        }
    }
}
