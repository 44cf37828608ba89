using System;
using System.Linq;
using Ep.Bench.Processes;
using Ep.Bench.Timing;
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
    public void More_samples_than_slots_or_a_vector_of_the_wrong_length_is_refused()
    {
        var samples = new RankSamples();
        samples.AddDevice(BenchOperation.Dispatch, 1);
        samples.AddDevice(BenchOperation.Dispatch, 2);

        Assert.Throws<ArgumentException>(() => RankSamplesCodec.Encode(samples, iterations: 1));
        Assert.Throws<ArgumentException>(() => RankSamplesCodec.Decode(new double[5], iterations: 1));
    }
}
