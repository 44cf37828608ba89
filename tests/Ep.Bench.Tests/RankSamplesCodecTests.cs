using System;
using System.Linq;
using Ep.Bench.Metrics;
using Ep.Bench.Processes;
using Ep.Bench.Timing;
using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class RankSamplesCodecTests
{
    [Fact]
    public void Samples_survive_the_round_trip_through_a_vector_of_doubles()
    {
        var samples = new RankSamples();
        samples.AddDevice(BenchOperation.Dispatch, 410.5);
        samples.AddDevice(BenchOperation.Dispatch, 420.25);
        samples.AddDevice(BenchOperation.Step, 3000);
        samples.AddHost(BenchOperation.Combine, 31);
        samples.AddAllocated(BenchOperation.Combine, 0);
        samples.AddAllocated(BenchOperation.Combine, 64);

        double[] vector = RankSamplesCodec.Encode(samples, iterations: 3);
        RankSamples back = RankSamplesCodec.Decode(vector, iterations: 3);

        Assert.Equal(RankSamplesCodec.Length(3), vector.Length);
        Assert.Equal([410.5, 420.25], back.Device[BenchOperation.Dispatch]);
        Assert.Equal([3000.0], back.Device[BenchOperation.Step]);
        Assert.Equal([31.0], back.Host[BenchOperation.Combine]);
        Assert.Equal([0.0, 64.0], back.Allocated[BenchOperation.Combine]);
        Assert.False(back.Device.ContainsKey(BenchOperation.Permute));
        Assert.Empty(back.Allocated.Keys.Except([BenchOperation.Combine]));
    }

    [Fact]
    public void Own_and_managed_host_time_PrepareDispatch_and_the_dispatch_split_survive_the_round_trip()
    {
        var samples = new RankSamples { ClockCostPerCall = 0.021, ClockCostPerRead = 0.017 };
        samples.AddOwnHost(BenchOperation.Dispatch, 7.5);
        samples.AddManagedHost(BenchOperation.Dispatch, 1.75);
        samples.AddManagedHost(BenchOperation.Combine, 0.5);
        samples.PrepareHost.Add(5.25);
        samples.PrepareAllocated.Add(536);
        samples.DispatchPhases.Add(new NcclEpDispatchPhases(Routing: 30_000, UpdateHandle: 2_000, NativeDispatch: 270_000, Layout: 900, RoutingReadBack: 25_000));
        samples.DispatchPhases.Add(new NcclEpDispatchPhases(31_000, 0, 271_000, 800, 26_000));
        samples.DeviceDispatchParts.Add([3.1, 1.3, 268.5, 0.4]);
        samples.DispatchManagedParts.Add([0.1, 0.3, 0.6, 0.2, 0.4]);

        RankSamples back = RankSamplesCodec.Decode(RankSamplesCodec.Encode(samples, iterations: 2), iterations: 2);

        Assert.Equal([7.5], back.OwnHost[BenchOperation.Dispatch]);
        Assert.False(back.OwnHost.ContainsKey(BenchOperation.Combine));
        Assert.Equal([1.75], back.ManagedHost[BenchOperation.Dispatch]);
        Assert.Equal([0.5], back.ManagedHost[BenchOperation.Combine]);
        Assert.Equal([5.25], back.PrepareHost);
        Assert.Equal([536.0], back.PrepareAllocated);
        Assert.Equal(samples.DispatchPhases, back.DispatchPhases);
        Assert.Equal([3.1, 1.3, 268.5, 0.4], Assert.Single(back.DeviceDispatchParts));
        Assert.Equal([0.1, 0.3, 0.6, 0.2, 0.4], Assert.Single(back.DispatchManagedParts));
        Assert.Equal((0.021, 0.017), (back.ClockCostPerCall, back.ClockCostPerRead));
    }

    [Fact]
    public void Decoded_ranks_give_the_same_host_figures_as_the_ranks_themselves()
    {
        RankSamples Rank(double own, double managed, double prepare)
        {
            var samples = new RankSamples { ClockCostPerCall = 0.02 };
            samples.AddOwnHost(BenchOperation.Dispatch, own);
            samples.AddOwnHost(BenchOperation.Combine, own / 2);
            samples.AddManagedHost(BenchOperation.Dispatch, managed);
            samples.AddManagedHost(BenchOperation.Combine, managed / 2);
            samples.PrepareHost.Add(prepare);
            samples.PrepareAllocated.Add(0);
            samples.DispatchPhases.Add(new NcclEpDispatchPhases(40_000, 0, 500_000, 1_000, 30_000));
            samples.DispatchManagedParts.Add([managed / 10, managed / 5, managed / 2, managed / 10, managed / 10]);
            return samples;
        }

        RankSamples[] ranks = [Rank(7, 2, 5), Rank(9, 3, 6), Rank(8, 2.5, 7)];
        RankSamples[] gathered = ranks.Select(r => RankSamplesCodec.Decode(RankSamplesCodec.Encode(r, iterations: 4), iterations: 4)).ToArray();

        DispatchSplit? split = DispatchSplit.Of(ranks.SelectMany(r => r.DispatchPhases));
        Assert.NotNull(split);
        Assert.Equal(split, DispatchSplit.Of(gathered.SelectMany(r => r.DispatchPhases)));
        Assert.Equal(OwnHostTime.Of(ranks, split), OwnHostTime.Of(gathered, split));
        Assert.Equal(8, OwnHostTime.Of(gathered, split)!.Dispatch);
        Assert.Equal(2.5, OwnHostTime.Of(gathered, split)!.ManagedDispatch);
        Assert.Equal(6, PrepareDispatchCost.Of(gathered)!.Host.Median);
        Assert.Equal(1.25, OwnHostTime.Of(gathered, split)!.ManagedDispatchByPart!.ToNcclEpDispatch);
    }

    [Fact]
    public void More_samples_than_slots_or_a_vector_of_the_wrong_length_is_refused()
    {
        var samples = new RankSamples();
        samples.AddDevice(BenchOperation.Dispatch, 1);
        samples.AddDevice(BenchOperation.Dispatch, 2);

        Assert.Throws<ArgumentException>(() => RankSamplesCodec.Encode(samples, iterations: 1));
        var prepared = new RankSamples();
        prepared.PrepareHost.AddRange([1, 2]);
        Assert.Throws<ArgumentException>(() => RankSamplesCodec.Encode(prepared, iterations: 1));
        Assert.Throws<ArgumentException>(() => RankSamplesCodec.Decode(new double[5], iterations: 1));
    }
}
