using System;
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
        Span<float> row = stackalloc float[h];
        ForEachRow(batch, (row0, expert) =>
        {
            float[] w = weights[firstExpert + expert];
            row.Clear();
            for (int i = 0; i < h; i++)
            {
                float xi = x[row0 * h + i];
                for (int j = 0; j < h; j++)
                {
                    row[j] += xi * w[i * h + j];
                }
            }

            for (int j = 0; j < h; j++)
            {
                y[row0 * h + j] = (BFloat16)row[j];
            }
        });
        return y;
    }

    /// <summary>dx = dy · Wᵀ per row, and dW += xᵀ · dy accumulated into <paramref name="gradWeights"/> (fp32).</summary>
    public static BFloat16[] Backward(BFloat16[] x, BFloat16[] dy, EpPermutedBatch batch, int firstExpert, float[][] weights,
        double[][] gradWeights, int h)
    {
        var dx = new BFloat16[x.Length];
        Span<float> row = stackalloc float[h];
        ForEachRow(batch, (row0, expert) =>
        {
            float[] w = weights[firstExpert + expert];
            double[] dw = gradWeights[firstExpert + expert];
            row.Clear();
            for (int i = 0; i < h; i++)
            {
                float xi = x[row0 * h + i];
                for (int j = 0; j < h; j++)
                {
                    float g = dy[row0 * h + j];
                    row[i] += g * w[i * h + j];
                    dw[i * h + j] += xi * g;
                }
            }

            for (int i = 0; i < h; i++)
            {
                dx[row0 * h + i] = (BFloat16)row[i];
            }
        });
        return dx;
    }

    private delegate void RowAction(int row, int localExpert);

    private static void ForEachRow(EpPermutedBatch batch, RowAction action)
    {
        for (int e = 0; e < batch.ExpertCounts.Count; e++)
        {
            // Padding rows past the count are zeros and stay zeros through a bias-free linear map.
            for (int r = 0; r < batch.ExpertCounts[e]; r++)
            {
                action(batch.ExpertOffsets[e] + r, e);
            }
        }
    }
}
