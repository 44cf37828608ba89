using System.Collections.Generic;
using Ep;

namespace MoeLayer;

/// <summary>
/// The experts' own math on a permuted batch: each local expert is a linear map y = x · W_e applied to its
/// contiguous group of rows. This is the part a real model runs as a grouped GEMM; here it is plain C# on the host.
/// </summary>
internal static class ExpertCompute
{
    /// <summary>y = x · W for every row of every local expert's group (fp32 accumulation, one bf16 rounding).</summary>
    public static BFloat16[] Forward(BFloat16[] x, EpPermutedBatch batch, int firstExpert, float[][] weights, int h)
    {
        var y = new BFloat16[x.Length];
        var accumulator = new float[h];
        foreach ((int row, int expert) in Rows(batch))
        {
            float[] w = weights[firstExpert + expert];
            System.Array.Clear(accumulator);
            for (int i = 0; i < h; i++)
            {
                float xi = x[row * h + i];
                for (int j = 0; j < h; j++)
                {
                    accumulator[j] += xi * w[i * h + j];
                }
            }

            for (int j = 0; j < h; j++)
            {
                y[row * h + j] = (BFloat16)accumulator[j];
            }
        }

        return y;
    }

    /// <summary>dx = dy · Wᵀ per row, and dW += xᵀ · dy accumulated into <paramref name="gradWeights"/>.</summary>
    public static BFloat16[] Backward(BFloat16[] x, BFloat16[] dy, EpPermutedBatch batch, int firstExpert, float[][] weights,
        double[][] gradWeights, int h)
    {
        var dx = new BFloat16[x.Length];
        var accumulator = new float[h];
        foreach ((int row, int expert) in Rows(batch))
        {
            float[] w = weights[firstExpert + expert];
            double[] dw = gradWeights[firstExpert + expert];
            System.Array.Clear(accumulator);
            for (int i = 0; i < h; i++)
            {
                float xi = x[row * h + i];
                for (int j = 0; j < h; j++)
                {
                    float g = dy[row * h + j];
                    accumulator[i] += g * w[i * h + j];
                    dw[i * h + j] += xi * g;
                }
            }

            for (int i = 0; i < h; i++)
            {
                dx[row * h + i] = (BFloat16)accumulator[i];
            }
        }

        return dx;
    }

    /// <summary>(row, local expert) for every real row; padding rows past a group's count are zeros and stay zeros.</summary>
    private static IEnumerable<(int Row, int LocalExpert)> Rows(EpPermutedBatch batch)
    {
        for (int e = 0; e < batch.ExpertCounts.Count; e++)
        {
            for (int r = 0; r < batch.ExpertCounts[e]; r++)
            {
                yield return (batch.ExpertOffsets[e] + r, e);
            }
        }
    }
}
