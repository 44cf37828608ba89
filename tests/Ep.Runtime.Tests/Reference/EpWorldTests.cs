using System;
using Xunit;

namespace Ep.Runtime.Tests.Reference;

/// <summary>The simulated world: results by rank, rank limits, engine choice and symmetric memory.</summary>
public sealed class EpWorldTests
{
    [Fact]
    public void Results_are_indexed_by_rank()
    {
        int[] results = EpWorld.RunSimulated(5, group => (group.Rank * 10) + group.WorldSize);
        Assert.Equal(new[] { 5, 15, 25, 35, 45 }, results);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    [InlineData(-1)]
    public void Rank_counts_outside_1_to_64_are_rejected(int ranks)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EpWorld.RunSimulated(ranks, _ => 0));
        Assert.Equal("ranks", error.ParamName);
    }

    [Fact]
    public void Cpu_ranks_run_the_reference_engine_and_gpu_ranks_say_what_is_missing()
    {
        EpEngineKind[] kinds = EpWorld.RunSimulated(2, group => group.EngineKind);
        Assert.Equal(new[] { EpEngineKind.Reference, EpEngineKind.Reference }, kinds);
        // A GPU this machine does not have (ordinal 63) gets a configuration error naming the engine it would need.
        var error = Assert.Throws<EpConfigurationException>(() => EpWorld.RunSimulated(1, EpDevice.Gpu(63), _ => 0));
        Assert.Contains("Staged engine", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Symmetric_allocations_agree_across_ranks_and_start_zeroed()
    {
        (long Id, long Offset, int Rows, bool Zero)[] seen = EpWorld.RunSimulated(3, group =>
        {
            using SymmetricTensor<float> first = group.AllocateSymmetric<float>(2, 3);
            using SymmetricTensor<float> second = group.AllocateSymmetric<float>(4, 5);
            SymmetricTensor<float> view = second.SliceRows(1, 2);
            return (second.Window.Id * 100 + first.Window.Id, view.WindowOffsetBytes, view.Rows, Array.TrueForAll(second.ToArray(), v => v == 0));
        });

        Assert.All(seen, s => Assert.Equal((100L, 20L, 2, true), s));
    }
}
