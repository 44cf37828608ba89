using System;

namespace MoeLayer;

/// <summary>
/// The same MoE computed in one process without expert parallelism, in fp64: the ground truth the EP run is compared with.
/// </summary>
internal sealed class DenseMoe
{
    public DenseMoe(MoeProblem problem)
    {
        int ranks = problem.Ranks, h = problem.Hidden, k = problem.TopK;
        Output = new double[ranks][];
        GradTokens = new double[ranks][];
        GradTopkWeights = new double[ranks][];
        GradExpertWeights = new double[problem.Experts][];
        for (int e = 0; e < problem.Experts; e++)
        {
            GradExpertWeights[e] = new double[h * h];
        }

        var expertOut = new double[h];
        var gradExpertOut = new double[h];
        for (int r = 0; r < ranks; r++)
        {
            int tokens = problem.TokensPerRank[r];
            Output[r] = new double[tokens * h];
            GradTokens[r] = new double[tokens * h];
            GradTopkWeights[r] = new double[tokens * k];
            for (int t = 0; t < tokens; t++)
            {
                for (int slot = 0; slot < k; slot++)
                {
                    long expert = problem.TopkIdx[r][t * k + slot];
                    if (expert < 0)
                    {
                        continue;
                    }

                    float[] w = problem.ExpertWeights[expert];
                    double weight = problem.TopkWeights[r][t * k + slot];
                    Linear(problem.Tokens[r], t * h, w, h, expertOut);
                    double dWeight = 0;
                    for (int j = 0; j < h; j++)
                    {
                        double dy = problem.GradOutput[r][t * h + j];
                        Output[r][t * h + j] += weight * expertOut[j];
                        dWeight += dy * expertOut[j];
                        gradExpertOut[j] = weight * dy;
                    }

                    GradTopkWeights[r][t * k + slot] = dWeight;
                    for (int i = 0; i < h; i++)
                    {
                        double x = problem.Tokens[r][t * h + i];
                        double dx = 0;
                        for (int j = 0; j < h; j++)
                        {
                            dx += gradExpertOut[j] * w[i * h + j];
                            GradExpertWeights[expert][i * h + j] += x * gradExpertOut[j];
                        }

                        GradTokens[r][t * h + i] += dx;
                    }
                }
            }
        }
    }

    /// <summary>Per rank: [T_r, H] layer output.</summary>
    public double[][] Output { get; }
    /// <summary>Per rank: [T_r, H] gradient of the tokens.</summary>
    public double[][] GradTokens { get; }
    /// <summary>Per rank: [T_r, K] gradient of the routing weights.</summary>
    public double[][] GradTopkWeights { get; }
    /// <summary>Per expert: [H, H] gradient of its weights.</summary>
    public double[][] GradExpertWeights { get; }

    private static void Linear(Ep.BFloat16[] x, int offset, float[] w, int h, double[] y)
    {
        Array.Clear(y);
        for (int i = 0; i < h; i++)
        {
            double xi = x[offset + i];
            for (int j = 0; j < h; j++)
            {
                y[j] += xi * w[i * h + j];
            }
        }
    }
}
