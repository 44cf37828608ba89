using Ep.Bench.Metrics;
using Ep.Bench.Timing;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class OwnHostTimeTests
{
    [Fact]
    public void Each_call_is_the_median_over_every_rank_and_step_with_the_routing_agreement_beside_dispatch()
    {
        var first = new RankSamples();
        var second = new RankSamples();
        first.AddOwnHost(BenchOperation.Dispatch, 70);
        first.AddOwnHost(BenchOperation.Dispatch, 90);
        second.AddOwnHost(BenchOperation.Dispatch, 80);
        first.AddOwnHost(BenchOperation.Combine, 3);
        second.AddOwnHost(BenchOperation.Combine, 5);
        second.AddOwnHost(BenchOperation.Combine, 4);

        OwnHostTime own = OwnHostTime.Of([first, second], new DispatchSplit(36, 28, 300, 21, RoutingReadBack: 19))!;

        Assert.Equal(80, own.Dispatch);
        Assert.Equal(4, own.Combine);
        Assert.Equal(36, own.DispatchRoutingAgreement);
        Assert.Equal(19, own.DispatchRoutingReadBack);
        Assert.Null(own.ManagedDispatch);
        Assert.Null(own.ClockCostPerCall); // no host pass with the clock on
    }

    /// <summary>Ep's managed code alone: each call minus every native call in it, pooled as the own host time is.</summary>
    [Fact]
    public void The_managed_time_alone_is_the_median_of_its_own_samples()
    {
        var rank = new RankSamples();
        rank.AddOwnHost(BenchOperation.Dispatch, 9);
        rank.AddOwnHost(BenchOperation.Combine, 1);
        rank.AddManagedHost(BenchOperation.Dispatch, 1.5);
        rank.AddManagedHost(BenchOperation.Dispatch, 2.5);
        rank.AddManagedHost(BenchOperation.Dispatch, 1.9);
        rank.AddManagedHost(BenchOperation.Combine, 0.3);
        rank.ClockCostPerCall = 0.03;
        rank.ClockCostPerRead = 0.02;

        OwnHostTime own = OwnHostTime.Of([rank], split: null)!;

        Assert.Equal((9.0, 1.0), (own.Dispatch, own.Combine));
        Assert.Equal(1.9, own.ManagedDispatch);
        Assert.Equal(0.3, own.ManagedCombine);
        Assert.Equal((0.03, 0.02), (own.ClockCostPerCall, own.ClockCostPerRead));
    }

    [Fact]
    public void There_is_none_without_both_calls() =>
        Assert.Null(OwnHostTime.Of([new RankSamples()], split: null));
}
