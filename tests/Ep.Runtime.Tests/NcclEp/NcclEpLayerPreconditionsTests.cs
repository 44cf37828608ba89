using System;
using System.Collections.Generic;
using Ep.Engines.NcclEp;
using Ep.Interop.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>One test per group/layer-level NCCL EP precondition, with the exact text the user sees.</summary>
public sealed class NcclEpLayerPreconditionsTests
{
    private static readonly EpLayerSpec Ht = NcclEpGroupSettingsTests.BenchHighThroughput;
    private static readonly EpLayerSpec Ll = NcclEpGroupSettingsTests.BenchLowLatency;
    private static readonly GpuCapability H100 = new(9, 0, 132);
    private static readonly NcclEpVersions Good = new(100, 23007);

    private static string Single(EpLayerSpec spec, int ranks = 8, int lsa = 0, int sms = 132, NcclEpTuning? tuning = null)
    {
        IReadOnlyList<string> problems = NcclEpPreconditions.CheckLayer(spec, new NcclEpTopology(ranks, lsa == 0 ? ranks : lsa), sms, tuning);
        return Assert.Single(problems);
    }

    [Fact]
    public void Bench_configurations_fit()
    {
        foreach (int ranks in new[] { 1, 8 })
        {
            Assert.Empty(NcclEpPreconditions.CheckLayer(Ht, NcclEpTopology.SingleNode(ranks), 132));
            Assert.Empty(NcclEpPreconditions.CheckLayer(Ll, NcclEpTopology.SingleNode(ranks), 132));
        }

        Assert.Empty(NcclEpPreconditions.CheckLayer(Ht, new NcclEpTopology(64, 8), 132));
    }

    [Fact]
    public void Gpu_older_than_sm_90_is_refused()
    {
        Assert.Equal("GPU is sm_80; NCCL EP needs sm_90 or newer (Hopper, Blackwell): its kernels are built only for those and use TMA.",
            Assert.Single(NcclEpPreconditions.CheckPlatform(new GpuCapability(8, 0, 108), Good)));
        Assert.Empty(NcclEpPreconditions.CheckPlatform(new GpuCapability(10, 0, 148), Good));
    }

    [Fact]
    public void Nccl_older_than_2_30_3_is_refused()
    {
        Assert.Equal("NCCL 2.29.1 is loaded, but NCCL EP needs NCCL ≥ 2.30.3; point EP_NCCL_LIBRARY at the libnccl NCCL EP was built with.",
            Assert.Single(NcclEpPreconditions.CheckPlatform(H100, new NcclEpVersions(100, 22901))));
    }

    [Fact]
    public void Other_nccl_ep_major_versions_are_refused()
    {
        Assert.StartsWith("NCCL EP 0.2.0 is loaded, but Ep binds NCCL EP 0.1.0",
            Assert.Single(NcclEpPreconditions.CheckPlatform(H100, new NcclEpVersions(200, 23007))));
    }

    [Fact]
    public void Experts_must_divide_over_ranks()
    {
        Assert.Equal("Experts = 250 does not divide over 8 ranks; NCCL EP requires num_experts % nRanks == 0 (asserted in ncclEpInitHandle).",
            Single(Ht with { Experts = 248 + 2 }));
    }

    [Fact]
    public void Low_latency_experts_must_fit_uint16()
    {
        IReadOnlyList<string> problems = NcclEpPreconditions.CheckLayer(Ll with { Experts = 65536 }, new NcclEpTopology(64, 8), 132,
            new NcclEpTuning(MaxNumSms: 132));
        Assert.Contains("Experts = 65536; NCCL EP LowLatency carries expert ids as uint16 and needs fewer than 65535 experts.", problems);
    }

    [Fact]
    public void More_than_64_ranks_is_refused()
    {
        Assert.Equal("World size is 72; NCCL EP supports 1 to 64 ranks (8 nodes × 8 GPUs).", Single(Ht with { Experts = 288 }, ranks: 72, lsa: 8));
    }

    [Fact]
    public void More_than_8_ranks_per_node_is_refused()
    {
        Assert.Equal("Ranks per node (LSA size) is 16; NCCL EP supports 1 to 8 GPUs per node.", Single(Ht, ranks: 16, lsa: 16));
    }

    [Fact]
    public void World_must_be_whole_nodes()
    {
        Assert.Equal("World size 12 is not a multiple of the ranks per node (8); NCCL EP requires rail team × LSA team = nRanks (asserted in ncclEpCreateGroup).",
            Single(Ht with { Experts = 240 }, ranks: 12, lsa: 8));
    }

    [Fact]
    public void More_than_8_nodes_is_refused()
    {
        Assert.Equal("16 nodes of 2 ranks; NCCL EP supports at most 8 nodes.", Single(Ht, ranks: 32, lsa: 2));
    }

    [Fact]
    public void High_throughput_expert_major_allows_at_most_64_local_experts()
    {
        Assert.Equal("ExpertMajor layout with 256 local experts; NCCL EP HT ExpertMajor keeps fixed arrays of 64 (HYBRIDEP_MAX_LOCAL_EXPERTS_PER_RANK) without checking and hangs beyond that; use EpLayout.Flat or more ranks.",
            Single(Ht with { Layout = EpLayout.ExpertMajor }, ranks: 1));
    }

    [Fact]
    public void At_most_1024_local_experts()
    {
        Assert.Equal("2048 local experts (2048 experts over 1 ranks) is above NCCL EP's NUM_MAX_LOCAL_EXPERTS = 1024; use more ranks.",
            Single(Ht with { Experts = 2048 }, ranks: 1));
    }

    [Theory]
    [InlineData(33, "HighThroughput", 32, EpAlgorithm.HighThroughput)]
    [InlineData(10, "LowLatency", 9, EpAlgorithm.LowLatency)]
    public void Top_k_above_the_algorithms_limit_is_refused(int topK, string name, int limit, EpAlgorithm algorithm)
    {
        EpLayerSpec spec = algorithm == EpAlgorithm.LowLatency ? Ll with { TopK = topK } : Ht with { TopK = topK };
        Assert.Equal($"TopK = {topK} is above NCCL EP's {name} limit of {limit}.", Single(spec));
    }

    [Fact]
    public void Top_k_must_be_positive()
    {
        Assert.Equal("TopK = 0; NCCL EP needs a positive num_topk (ncclEpInitHandle asserts num_topk > 0 in both modes).", Single(Ht with { TopK = 0 }));
    }

    [Fact]
    public void Low_latency_hidden_size_must_be_compiled_in()
    {
        Assert.Equal("HiddenSize = 3072 is not one of NCCL EP LowLatency's compiled sizes (2048, 2560, 4096, 5120, 6144, 7168, 8192).",
            Single(Ll with { HiddenSize = 3072 }));
    }

    [Fact]
    public void Row_bytes_must_be_a_multiple_of_16()
    {
        Assert.Equal("HiddenSize = 7164 gives 14328-byte rows; NCCL EP moves rows with TMA and needs hidden × 2 to be a multiple of 16.",
            Single(Ht with { HiddenSize = 7164 }));
    }

    [Fact]
    public void Low_latency_rows_must_be_a_multiple_of_4()
    {
        // 256 experts over 64 ranks: L = 4 would pass, so use 192 experts over 64 ranks (L = 3) and 129 tokens.
        Assert.Equal("MaxTokensPerRank × local experts = 129 × 3 = 387 is not a multiple of 4, as NCCL EP LowLatency asserts in ncclEpInitHandle.",
            Single(Ll with { Experts = 192, MaxTokensPerRank = 129 }, ranks: 64, lsa: 8));
    }

    [Fact]
    public void High_throughput_experts_per_node_must_be_a_multiple_of_4()
    {
        Assert.Equal("Local experts × ranks per node = 1 × 2 = 2 is not a multiple of 4; NCCL EP HT moves each token's routing probabilities with TMA in 16-byte units and asserts this.",
            Single(Ht with { Experts = 2, TopK = 1 }, ranks: 2));
    }

    [Fact]
    public void High_throughput_flat_on_small_nodes_needs_even_token_counts()
    {
        Assert.Equal("MaxTokensPerRank = 4095 is odd; NCCL EP HT Flat with 2 rank(s) per node (3 or fewer) needs an even max_dispatch_tokens_per_rank.",
            Single(Ht with { MaxTokensPerRank = 4095 }, ranks: 2));
        Assert.Empty(NcclEpPreconditions.CheckLayer(Ht with { MaxTokensPerRank = 4095 }, NcclEpTopology.SingleNode(4), 132));
    }

    [Fact]
    public void Recv_capacity_must_hold_one_rank_of_tokens()
    {
        Assert.Equal("max_recv_tokens_per_rank = 100 (RecvCapacityPerRank) is below max_dispatch_tokens_per_rank = 4096; NCCL EP HT asserts max_recv ≥ max_dispatch > 0.",
            Single(Ht with { RecvCapacityPerRank = 100 }));
    }

    [Fact]
    public void Max_tokens_must_be_positive()
    {
        Assert.Equal("MaxTokensPerRank = 0; NCCL EP needs a positive max_dispatch_tokens_per_rank.", Single(Ht with { MaxTokensPerRank = 0 }));
    }

    [Fact]
    public void More_than_8192_tokens_is_refused_EP0014()
    {
        Assert.Equal("MaxTokensPerRank = 16384 is above NCCL EP's MAX_SUPPORTED_TOKENS_PER_RANK = 8192 (asserted in ncclEpCreateGroup) (EP0014).",
            Single(Ht with { MaxTokensPerRank = 16384 }));
    }

    [Fact]
    public void Low_latency_sms_must_cover_the_experts_in_14_warp_groups()
    {
        Assert.Equal("ceil(Experts / max_num_sms) = ceil(2048 / 132) = 16 is above NCCL EP LowLatency's 14 warp groups per SM; it needs at least 147 SMs.",
            Single(Ll with { Experts = 2048 }, ranks: 64, lsa: 8));
    }

    [Fact]
    public void Max_num_sms_must_not_exceed_the_gpu()
    {
        Assert.Equal("max_num_sms = 200 is above the GPU's 132 SMs; NCCL EP requires max_num_sms ≤ the device's SM count.",
            Single(Ht, tuning: new NcclEpTuning(MaxNumSms: 200)));
        Assert.Equal("max_num_sms = 16 is above the GPU's 8 SMs; NCCL EP requires max_num_sms ≤ the device's SM count.", Single(Ht, sms: 8));
    }

    [Fact]
    public void Timeout_below_one_millisecond_is_refused()
    {
        Assert.Equal("NCCL EP timeout is 0.5 ms; NCCL EP truncates timeout_ns to whole milliseconds, so anything under 1 ms would silently mean no timeout.",
            Single(Ll, tuning: new NcclEpTuning(Timeout: TimeSpan.FromMicroseconds(500))));
    }

    [Fact]
    public void Payload_must_be_bf16()
    {
        Assert.Equal("Payload is Float8E4M3; NCCL EP v0.1 moves bf16 only (it asserts ncclBfloat16; FP8 is listed as not supported).",
            Single(Ht with { Payload = EpPayload.Float8E4M3 }));
    }

    [Fact]
    public void Window_backed_tensors_are_refused_for_low_latency()
    {
        Assert.Equal("ZeroCopy is set with Algorithm LowLatency; NCCL EP LL reads tensors by pointer and cannot use window-backed (symmetric) tensors.",
            Single(Ll with { ZeroCopy = true }));
    }

    [Fact]
    public void Low_latency_needs_expert_major()
    {
        Assert.Equal("Layout is Flat with Algorithm LowLatency; NCCL EP LL supports ExpertMajor (and RankMajor, which Ep does not expose), any other layout asserts.",
            Single(Ll with { Layout = EpLayout.Flat }));
    }

    [Fact]
    public void Expert_major_alignment_must_be_a_power_of_two()
    {
        Assert.Equal("ExpertAlignment = 24; NCCL EP asserts that dispatch_output_per_expert_alignment is a power of two.",
            Single(Ht with { Layout = EpLayout.ExpertMajor, ExpertAlignment = 24 }));
    }

    [Fact]
    public void Require_layer_throws_with_every_problem_and_returns_settings_when_it_fits()
    {
        var e = Assert.Throws<EpConfigurationException>(() => NcclEpPreconditions.RequireLayer(
            Ht with { TopK = 40, MaxTokensPerRank = 9000 }, "Moe", NcclEpTopology.SingleNode(8), new GpuCapability(8, 6, 84), Good));

        Assert.StartsWith("Layer 'Moe' cannot run on NCCL EP: GPU is sm_86; NCCL EP needs sm_90 or newer", e.Message);
        Assert.Contains("MaxTokensPerRank = 9000 is above NCCL EP's MAX_SUPPORTED_TOKENS_PER_RANK = 8192", e.Message);
        Assert.Contains("TopK = 40 is above NCCL EP's HighThroughput limit of 32.", e.Message);

        NcclEpGroupSettings settings = NcclEpPreconditions.RequireLayer(Ht, "Moe", NcclEpTopology.SingleNode(8), H100, Good);
        Assert.Equal(32768, settings.MaxRecvTokensPerRank);
    }
}
