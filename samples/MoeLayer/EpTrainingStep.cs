using System;
using Ep;

namespace MoeLayer;

/// <summary>What one rank computed in one forward + backward step through the expert-parallel layer.</summary>
internal sealed record RankResult(BFloat16[] Output, BFloat16[] GradTokens, float[] GradTopkWeights, double[][] GradExpertWeights);

/// <summary>
/// One training step of the MoE on one rank, written the way a user writes it:
/// Dispatch → Permute → experts → Unpermute → Combine, then the backward calls in reverse.
/// </summary>
internal static class EpTrainingStep
{
    public static RankResult Run(SampleMoe moe, MoeProblem problem, int rank)
    {
        EpDevice device = moe.Group.Device;
        int h = problem.Hidden, k = problem.TopK, t = problem.TokensPerRank[rank];
        int firstExpert = rank * moe.LocalExperts;

        using var tokens = DeviceTensor.Upload(device, problem.Tokens[rank], t, h);
        using var topkIdx = DeviceTensor.Upload(device, problem.TopkIdx[rank], t, k);
        using var topkWeights = DeviceTensor.Upload(device, problem.TopkWeights[rank], t, k);
        using var gradOutput = DeviceTensor.Upload(device, problem.GradOutput[rank], t, h);

        // Forward.
        EpDispatchResult dispatched = moe.Dispatch(tokens, topkIdx, topkWeights);
        EpPermutedBatch batch = moe.Permute(dispatched);
        BFloat16[] expertIn = batch.Tokens.ToArray();
        BFloat16[] expertOutHost = ExpertCompute.Forward(expertIn, batch, firstExpert, problem.ExpertWeights, h);
        using var expertOut = DeviceTensor.Upload(device, expertOutHost, batch.RowCount, h);
        var combineInput = moe.Unpermute(batch, expertOut);
        BFloat16[] output = moe.Combine(combineInput).ToArray();

        // Backward.
        var gradCombineInput = moe.CombineBackward(gradOutput);
        EpUnpermuteGradients unpermuteGrads = moe.UnpermuteBackward(batch, expertOut, gradCombineInput);
        var gradExpertWeights = new double[problem.Experts][];
        for (int e = 0; e < problem.Experts; e++)
        {
            gradExpertWeights[e] = new double[h * h];
        }

        BFloat16[] gradExpertIn = ExpertCompute.Backward(expertIn, unpermuteGrads.GradExpertOutput.ToArray(), batch, firstExpert,
            problem.ExpertWeights, gradExpertWeights, h);
        using var gradPermuted = DeviceTensor.Upload(device, gradExpertIn, batch.RowCount, h);
        var gradReceived = moe.PermuteBackward(batch, gradPermuted);
        EpDispatchGradients grads = moe.DispatchBackward(gradReceived, unpermuteGrads.GradWeights);

        return new RankResult(output, grads.GradTokens.ToArray(),
            grads.GradTopkWeights?.ToArray() ?? throw new InvalidOperationException("A weighted layer must return routing-weight gradients."),
            gradExpertWeights);
    }
}
