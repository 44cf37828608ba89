using System;
using Xunit;
using static Ep.Runtime.Tests.Reference.TestTensors;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// The runtime checks every tensor's shape itself, as the generated layer does, so code that drives
/// <see cref="EpLayerRuntime"/> directly gets an <see cref="EpShapeException"/> naming the argument, the expected and
/// the actual value before any engine copies a byte — and the step is left as it was.
/// </summary>
public sealed class RuntimeShapeTests
{
    private const int H = 8;

    [Fact]
    public void Dispatch_refuses_routing_whose_rows_differ_from_the_tokens()
    {
        EpWorld.RunSimulated(1, group =>
        {
            using var layer = Layer(group, HandComputedTests.Spec(EpLayout.Flat, weighted: true));
            using var tokens = Pairs(H, (1, 2), (3, 4));
            using var ids = Ids(2, 0, 1);
            using var weights = Weights(2, 1, 1, 1, 1);

            var error = Assert.Throws<EpShapeException>(() => layer.Dispatch(tokens, ids, weights));

            Assert.Equal("topkIdx", error.ParamName);
            Assert.Equal((2L, 1L), (error.Expected, error.Actual));
            Assert.Throws<EpStateException>(() => layer.Dispatched("test")); // no step began
        });
    }

    [Fact]
    public void Combine_refuses_a_tensor_with_other_rows_than_the_step_and_stays_callable()
    {
        EpWorld.RunSimulated(1, group =>
        {
            using var layer = Layer(group, HandComputedTests.Spec(EpLayout.Flat, weighted: true));
            EpPermutedBatch batch = DispatchAndPermute(layer);
            DeviceTensor<BFloat16> z = layer.Unpermute(batch, batch.Tokens);
            using var tooMany = Pairs(H, (1, 1), (1, 1), (1, 1));

            var error = Assert.Throws<EpShapeException>(() => layer.Combine(tooMany));

            Assert.Equal("combineInput", error.ParamName);
            Assert.Contains("dispatched.RowCount", error.Message, StringComparison.Ordinal);
            Assert.Equal(1, layer.Combine(z).Rows);
        });
    }

    [Fact]
    public void Unpermute_and_the_backward_passes_refuse_wrong_columns_and_rows()
    {
        EpWorld.RunSimulated(1, group =>
        {
            using var layer = Layer(group, HandComputedTests.Spec(EpLayout.Flat, weighted: true));
            EpPermutedBatch batch = DispatchAndPermute(layer);
            using var narrow = DeviceTensor<BFloat16>.Allocate(EpDevice.Cpu, batch.RowCount, H - 1);
            Assert.Equal("expertOutput", Assert.Throws<EpShapeException>(() => layer.Unpermute(batch, narrow)).ParamName);

            layer.Combine(layer.Unpermute(batch, batch.Tokens));
            using var gradOutput = Pairs(H, (1, 1), (1, 1));
            EpShapeException tokens = Assert.Throws<EpShapeException>(() => layer.CombineBackward(gradOutput));
            Assert.Equal(("gradOutput", 1L, 2L), (tokens.ParamName, tokens.Expected, tokens.Actual));

            using var oneRow = Pairs(H, (1, 1));
            DeviceTensor<BFloat16> dz = layer.CombineBackward(oneRow);
            EpUnpermuteGradients u = layer.UnpermuteBackward(batch, batch.Tokens, dz);
            DeviceTensor<BFloat16> dRecv = layer.PermuteBackward(batch, u.GradExpertOutput);
            using var weightsOneColumn = DeviceTensor<float>.Allocate(EpDevice.Cpu, dRecv.Rows, 1);
            EpShapeException weights = Assert.Throws<EpShapeException>(() => layer.DispatchBackward(dRecv, weightsOneColumn));
            Assert.Equal("gradReceivedWeights", weights.ParamName);
            Assert.Equal(2, layer.DispatchBackward(dRecv, u.GradWeights).GradTopkWeights!.Columns);
        });
    }

    private static EpPermutedBatch DispatchAndPermute(EpLayerRuntime layer)
    {
        using var tokens = Pairs(H, (1, 2));
        using var ids = Ids(2, 0, 3);
        using var weights = Weights(2, 0.5f, 0.25f);
        return layer.Permute(layer.Dispatch(tokens, ids, weights));
    }
}
