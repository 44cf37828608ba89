using System.Linq;
using Ep.Bench.Routing;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class RoutingTests
{
    [Fact]
    public void High_throughput_gives_each_token_k_distinct_experts_and_no_empty_slot()
    {
        long[] idx = EpBenchRouting.HighThroughput(tokens: 500, experts: 32, topK: 8, rank: 3);

        Assert.Equal(500 * 8, idx.Length);
        Assert.All(idx, e => Assert.InRange(e, 0, 31));
        Assert.All(idx.Chunk(8), row => Assert.Equal(8, row.Distinct().Count()));
    }

    [Fact]
    public void High_throughput_is_uniform_over_the_experts()
    {
        long[] idx = EpBenchRouting.HighThroughput(tokens: 4096, experts: 16, topK: 4, rank: 0);

        // Each expert is expected 4096 * 4 / 16 = 1024 times.
        Assert.All(idx.GroupBy(e => e), g => Assert.InRange(g.Count(), 900, 1150));
    }

    [Fact]
    public void Each_rank_has_its_own_seed_and_repeats_it()
    {
        Assert.Equal(EpBenchRouting.HighThroughput(64, 256, 8, 1), EpBenchRouting.HighThroughput(64, 256, 8, 1));
        Assert.NotEqual(EpBenchRouting.HighThroughput(64, 256, 8, 1), EpBenchRouting.HighThroughput(64, 256, 8, 2));
        Assert.Equal(EpBenchRouting.LowLatency(64, 256, 8, 1), EpBenchRouting.LowLatency(64, 256, 8, 1));
    }

    [Fact]
    public void Low_latency_masks_at_most_ten_selections_and_keeps_the_rest_distinct()
    {
        long[] idx = EpBenchRouting.LowLatency(tokens: 128, experts: 256, topK: 8, rank: 0);

        int masked = idx.Count(e => e == -1);
        Assert.InRange(masked, 1, EpBenchRouting.LowLatencyMaskedDraws);
        Assert.All(idx.Where(e => e != -1), e => Assert.InRange(e, 0, 255));
        Assert.All(idx.Chunk(8), row => Assert.Equal(row.Count(e => e >= 0), row.Where(e => e >= 0).Distinct().Count()));
    }

    [Fact]
    public void No_tokens_give_no_routing()
    {
        Assert.Empty(EpBenchRouting.LowLatency(0, 16, 4, 0));
        Assert.Empty(EpBenchRouting.HighThroughput(0, 16, 4, 0));
    }
}
