using Xunit;
using static Ep.Runtime.Tests.Reference.TestTensors;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// The routing-weight gradient DispatchBackward returns is the slope of the loss Σ dOut ⊙ out, measured by central
/// differences through the forward pass. The output is linear in each weight, so a large step (0.25, exact in fp32)
/// keeps bf16 rounding of the output small against the difference.
/// </summary>
public sealed class FiniteDifferenceTests
{
    private const int H = 8;

    [Fact]
    public void Routing_weight_gradient_matches_central_differences()
    {
        float[] gradOut = Expand(H, (1, -2), (0.5f, 3));
        float[] baseWeights = [0.5f, 0.25f, 0.75f, 0.125f];
        float[] analytic = EpWorld.RunSimulated(2, group => RunStep(group, baseWeights, gradOut, backward: true).Gradient)[0];

        for (int slot = 0; slot < baseWeights.Length; slot++)
        {
            const float step = 0.25f;
            double plus = Loss(Perturbed(baseWeights, slot, step), gradOut);
            double minus = Loss(Perturbed(baseWeights, slot, -step), gradOut);
            double numeric = (plus - minus) / (2 * step);
            Assert.True(System.Math.Abs(numeric - analytic[slot]) <= 0.02 * System.Math.Max(1, System.Math.Abs(numeric)),
                $"slot {slot}: analytic {analytic[slot]}, numeric {numeric}");
        }

        Assert.NotEqual(0f, analytic[0]);
    }

    private static double Loss(float[] weights, float[] gradOut) =>
        EpWorld.RunSimulated(2, group => RunStep(group, weights, gradOut, backward: false).Loss)[0];

    private static float[] Perturbed(float[] weights, int slot, float delta)
    {
        var copy = (float[])weights.Clone();
        copy[slot] += delta;
        return copy;
    }

    /// <summary>Rank 0 sends two tokens to experts on both ranks; rank 1 sends nothing. Experts scale by (local id + 1).</summary>
    private static (double Loss, float[] Gradient) RunStep(EpGroup group, float[] weights, float[] gradOut, bool backward)
    {
        var spec = new EpLayerSpec { Experts = 4, TopK = 2, HiddenSize = H, MaxTokensPerRank = 2, ApplyWeightsInCombine = true };
        using var layer = Layer(group, spec);
        bool sender = group.Rank == 0;
        using var tokens = sender ? Pairs(H, (1, 2), (-3, 0.5f)) : Pairs(H);
        using var ids = sender ? Ids(2, 3, 0, 1, 2) : DeviceTensor<long>.FromArray([], 0, 2);
        using var topkWeights = sender ? DeviceTensor<float>.FromArray(weights, 2, 2) : DeviceTensor<float>.FromArray([], 0, 2);
        EpDispatchResult d = layer.Dispatch(tokens, ids, topkWeights);
        EpPermutedBatch batch = layer.Permute(d);
        using DeviceTensor<BFloat16> expertOut = ScaleByExpert(batch, H);
        float[] output = Floats(layer.Combine(layer.Unpermute(batch, expertOut)));
        double loss = 0;
        for (int i = 0; i < output.Length; i++)
        {
            loss += output[i] * (double)gradOut[i];
        }

        if (!backward)
        {
            return (loss, []);
        }

        using var dOut = sender ? Bf(gradOut, 2, H) : Pairs(H);
        EpUnpermuteGradients u = layer.UnpermuteBackward(batch, expertOut, layer.CombineBackward(dOut));
        EpDispatchGradients g = layer.DispatchBackward(layer.PermuteBackward(batch, u.GradExpertOutput), u.GradWeights);
        return (loss, g.GradTopkWeights!.ToArray());
    }
}
