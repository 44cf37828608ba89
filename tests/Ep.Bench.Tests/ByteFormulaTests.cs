using System;
using Ep.Bench.Metrics;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class ByteFormulaTests
{
    // 2 ranks, 4 experts (experts 0-1 on rank 0, 2-3 on rank 1), top-2.
    private static readonly long[][] Routing =
    [
        [0, 1, /* t1 */ 1, 2, /* t2 */ 3, -1],   // rank 0: t0 → rank 0 twice, t1 → both ranks, t2 → rank 1
        [2, 3, /* t1 */ 0, 3],                   // rank 1: t0 → rank 1 twice, t1 → both ranks
    ];

    [Fact]
    public void High_throughput_counts_each_source_rank_and_token_once_per_receiving_rank()
    {
        // Rank 0 receives (0,t0) (0,t1) (1,t1); rank 1 receives (0,t1) (0,t2) (1,t0) (1,t1).
        Assert.Equal(3, ByteFormulas.HighThroughputReceivedPairs(Routing, topK: 2, experts: 4, receiver: 0));
        Assert.Equal(4, ByteFormulas.HighThroughputReceivedPairs(Routing, topK: 2, experts: 4, receiver: 1));
    }

    [Fact]
    public void High_throughput_bytes_are_pairs_times_hidden_times_two()
    {
        var spec = new EpLayerSpec { Experts = 4, TopK = 2, HiddenSize = 8, MaxTokensPerRank = 3 };

        Assert.Equal(3 * 8 * 2, ByteFormulas.BytesPerRank(spec, Routing, 0));
        Assert.Equal(4 * 8 * 2, ByteFormulas.BytesPerRank(spec, Routing, 1));
    }

    [Fact]
    public void High_throughput_at_one_rank_counts_every_token_with_an_expert()
    {
        long[][] one = [[0, 1, 2, 3, -1, -1, 3, -1]];

        Assert.Equal(3, ByteFormulas.HighThroughputReceivedPairs(one, topK: 2, experts: 4, receiver: 0));
    }

    [Fact]
    public void Low_latency_counts_every_valid_selection_even_to_the_same_rank()
    {
        var spec = new EpLayerSpec { Experts = 16, TopK = 3, HiddenSize = 2048, MaxTokensPerRank = 2, Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor };
        long[][] routing = [[0, -1, 1, -1, 15, 14]];

        Assert.Equal(4, ByteFormulas.LowLatencyValidSelections(routing[0]));
        Assert.Equal(4L * 2048 * 2, ByteFormulas.BytesPerRank(spec, routing, 0));
    }

    [Fact]
    public void Gigabytes_per_second_divides_decimal_bytes_by_seconds()
    {
        Assert.Equal(1.0, ByteFormulas.GigabytesPerSecond(1e9, 1e6)!.Value, 12);
        Assert.Equal(58.720256, ByteFormulas.GigabytesPerSecond(4096L * 7168 * 2, 1000)!.Value, 9);
        Assert.Null(ByteFormulas.GigabytesPerSecond(1e9, 0));
        Assert.Null(ByteFormulas.GigabytesPerSecond(1e9, null));
    }

    [Fact]
    public void Experts_that_do_not_spread_over_the_ranks_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ByteFormulas.HighThroughputReceivedPairs(Routing, topK: 2, experts: 5, receiver: 0));
    }
}
