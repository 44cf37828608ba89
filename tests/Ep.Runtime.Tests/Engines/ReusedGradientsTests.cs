using Xunit;

namespace Ep.Runtime.Tests.Engines;

/// <summary>
/// The GPU engines return the same gradient objects while their views repeat (views are cached per row count), so a
/// steady-state backward call allocates nothing; new views give a new object.
/// </summary>
public sealed class ReusedGradientsTests
{
    [Fact]
    public void A_gradient_object_is_reused_exactly_while_it_holds_the_same_views()
    {
        using DeviceTensor<BFloat16> rows = DeviceTensor<BFloat16>.Allocate(EpDevice.Cpu, 4, 8);
        using DeviceTensor<float> weights = DeviceTensor<float>.Allocate(EpDevice.Cpu, 4);
        DeviceTensor<BFloat16> fewerRows = rows.SliceRows(0, 2);
        EpDispatchGradients? cachedDispatch = null;
        EpUnpermuteGradients? cachedUnpermute = null;

        EpDispatchGradients first = EpDispatchGradients.Of(rows, weights, ref cachedDispatch);
        Assert.Same(first, EpDispatchGradients.Of(rows, weights, ref cachedDispatch));
        EpDispatchGradients unweighted = EpDispatchGradients.Of(rows, null, ref cachedDispatch);
        Assert.NotSame(first, unweighted);
        Assert.Null(unweighted.GradTopkWeights);
        Assert.Same(fewerRows, EpDispatchGradients.Of(fewerRows, null, ref cachedDispatch).GradTokens);

        EpUnpermuteGradients u = EpUnpermuteGradients.Of(rows, weights, ref cachedUnpermute);
        Assert.Same(u, EpUnpermuteGradients.Of(rows, weights, ref cachedUnpermute));
        Assert.NotSame(u, EpUnpermuteGradients.Of(fewerRows, weights, ref cachedUnpermute));
    }
}
