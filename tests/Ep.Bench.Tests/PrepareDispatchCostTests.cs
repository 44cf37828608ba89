using Ep.Bench.Metrics;
using Ep.Bench.Timing;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class PrepareDispatchCostTests
{
    [Fact]
    public void Host_time_and_allocations_are_pooled_over_every_rank()
    {
        var first = new RankSamples();
        var second = new RankSamples();
        first.PrepareHost.AddRange([4, 6]);
        second.PrepareHost.Add(5);
        first.PrepareAllocated.AddRange([0, 0]);
        second.PrepareAllocated.Add(64);

        PrepareDispatchCost cost = PrepareDispatchCost.Of([first, second])!;

        Assert.Equal(5, cost.Host.Median);
        Assert.Equal(3, cost.Host.Count);
        Assert.Equal(0, cost.Allocated.Median);
        Assert.Equal(64, cost.Allocated.Max);
    }

    [Fact]
    public void There_is_none_when_no_step_prepared_its_routing() =>
        Assert.Null(PrepareDispatchCost.Of([new RankSamples()]));
}
