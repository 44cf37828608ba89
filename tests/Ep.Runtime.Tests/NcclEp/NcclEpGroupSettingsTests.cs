using Ep.Engines.NcclEp;
using Ep.Interop.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>The group and handle config values for NCCL EP's ep_bench default configurations (H100: 132 SMs).</summary>
public sealed class NcclEpGroupSettingsTests
{
    private const int H100Sms = 132;

    internal static EpLayerSpec BenchHighThroughput => new() { Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096 };

    internal static EpLayerSpec BenchLowLatency => new()
    {
        Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 128,
        Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor,
    };

    [Theory]
    [InlineData(1, 256, 4096)]
    [InlineData(8, 32, 32768)]
    public void High_throughput_flat_receives_one_row_per_source_token(int ranks, int localExperts, long recvRows)
    {
        NcclEpGroupSettings s = NcclEpGroupSettings.Create(BenchHighThroughput, ranks, H100Sms);

        Assert.Equal(NcclEpAlgorithm.HighThroughput, s.Algorithm);
        Assert.Equal(NcclEpLayout.Flat, s.Layout);
        Assert.Equal(256, s.NumExperts);
        Assert.Equal(localExperts, s.LocalExperts);
        Assert.Equal(4096, s.MaxDispatchTokensPerRank);
        Assert.Equal(recvRows, s.MaxRecvTokensPerRank);
        Assert.Equal(14336, s.MaxTokenBytes);
        Assert.Equal(0UL, s.RdmaBufferSize);
        Assert.Equal(0U, s.NumQpPerRank);
        Assert.Equal(0U, s.NumChannels);
        Assert.Equal(16, s.MaxNumSms);
        Assert.Equal(0UL, s.TimeoutNanoseconds);
        Assert.Equal(1, s.ExpertAlignment);
    }

    [Fact]
    public void High_throughput_expert_major_receives_one_slot_per_token_and_local_expert_padded()
    {
        NcclEpGroupSettings s = NcclEpGroupSettings.Create(BenchHighThroughput with { Layout = EpLayout.ExpertMajor, ExpertAlignment = 128 }, 8, H100Sms);

        // RecvCapacity 8 × 4096 = 32768 rows, each fanning out to min(K=8, L=32) = 8 slots, plus 32 zones × 127 pad rows.
        Assert.Equal(NcclEpLayout.ExpertMajor, s.Layout);
        Assert.Equal(32768L * 8 + 32 * 127, s.MaxRecvTokensPerRank);
        Assert.Equal(128, s.ExpertAlignment);
        Assert.Equal((nuint)128, s.ToHandleConfig().DispatchOutputPerExpertAlignment);
    }

    [Theory]
    [InlineData(1, 256, 128)]
    [InlineData(8, 32, 1024)]
    public void Low_latency_uses_one_queue_pair_per_local_expert_and_every_sm(int ranks, int localExperts, long recvRows)
    {
        NcclEpGroupSettings s = NcclEpGroupSettings.Create(BenchLowLatency, ranks, H100Sms);

        Assert.Equal(NcclEpAlgorithm.LowLatency, s.Algorithm);
        Assert.Equal(NcclEpLayout.ExpertMajor, s.Layout);
        Assert.Equal(128, s.MaxDispatchTokensPerRank);
        Assert.Equal(recvRows, s.MaxRecvTokensPerRank);
        Assert.Equal(14336, s.MaxTokenBytes);
        Assert.Equal((uint)localExperts, s.NumQpPerRank);
        Assert.Equal(H100Sms, s.MaxNumSms);
        Assert.Equal(1, s.ExpertAlignment);
        Assert.Equal((long)localExperts * ranks * 128, s.LowLatencyOutputRows);
    }

    [Fact]
    public void Declared_recv_capacity_and_tuning_are_passed_through()
    {
        var spec = BenchHighThroughput with { RecvCapacityPerRank = 10000 };
        NcclEpGroupSettings s = NcclEpGroupSettings.Create(spec, 8, H100Sms, new NcclEpTuning(MaxNumSms: 24, Timeout: System.TimeSpan.FromSeconds(5)));

        Assert.Equal(10000, s.MaxRecvTokensPerRank);
        Assert.Equal(24, s.MaxNumSms);
        Assert.Equal(5_000_000_000UL, s.TimeoutNanoseconds);
    }

    [Fact]
    public void Native_group_config_carries_the_values_with_size_magic_and_version()
    {
        NcclEpGroupConfig c = NcclEpGroupSettings.Create(BenchLowLatency, 8, H100Sms).ToGroupConfig();

        Assert.Equal(96U, c.Size);
        Assert.Equal(NcclEpConstants.Magic, c.Magic);
        Assert.Equal(NcclEpConstants.ApiVersion, c.Version);
        Assert.Equal(NcclEpAlgorithm.LowLatency, c.Algorithm);
        Assert.Equal(256U, c.NumExperts);
        Assert.Equal(128U, c.MaxDispatchTokensPerRank);
        Assert.Equal(1024U, c.MaxRecvTokensPerRank);
        Assert.Equal(14336U, c.MaxTokenBytes);
        Assert.Equal(0UL, (ulong)c.RdmaBufferSize.Value);
        Assert.Equal(32U, c.NumQpPerRank);
        Assert.Equal(132U, c.MaxNumSms);
        Assert.Equal(0U, c.EnableMask);
        Assert.Equal(System.IntPtr.Zero, c.Alloc.AllocFunction);
    }
}
