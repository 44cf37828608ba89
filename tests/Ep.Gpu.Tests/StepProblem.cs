using System;

namespace Ep.Gpu.Tests;

/// <summary>Random inputs of one step on every rank: tokens, routing with −1 slots, weights, upstream gradient.</summary>
internal sealed class StepProblem
{
    /// <param name="tokens">Every sending rank's token count; null draws one in [1, MaxTokensPerRank].</param>
    public StepProblem(EpLayerSpec spec, int ranks, int seed, bool noTokens, int? tokens = null)
    {
        var random = new Random(seed);
        int k = spec.TopK, h = spec.HiddenSize;
        Tokens = new BFloat16[ranks][];
        Idx = new long[ranks][];
        Weights = new float[ranks][];
        GradOutput = new BFloat16[ranks][];
        TokenCounts = new int[ranks];
        for (int r = 0; r < ranks; r++)
        {
            // Uneven counts; rank 1 (when there is one) sends nothing.
            int drawn = random.Next(1, spec.MaxTokensPerRank + 1);
            int t = noTokens || (ranks > 1 && r == 1) ? 0 : tokens ?? drawn;
            TokenCounts[r] = t;
            Tokens[r] = RandomRows(random, t * h);
            GradOutput[r] = RandomRows(random, t * h);
            Idx[r] = new long[t * k];
            Weights[r] = new float[t * k];
            for (int i = 0; i < t; i++)
            {
                int[] order = Shuffled(random, spec.Experts);
                for (int j = 0; j < k; j++)
                {
                    bool unused = random.Next(6) == 0;
                    Idx[r][i * k + j] = unused ? -1 : order[j];
                    Weights[r][i * k + j] = unused ? 0f : (float)random.NextDouble();
                }
            }
        }
    }

    public int[] TokenCounts { get; }

    public BFloat16[][] Tokens { get; }

    public long[][] Idx { get; }

    public float[][] Weights { get; }

    public BFloat16[][] GradOutput { get; }

    public static BFloat16[] RandomRows(Random random, int count)
    {
        var values = new BFloat16[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (BFloat16)((float)random.NextDouble() * 4f - 2f);
        }

        return values;
    }

    private static int[] Shuffled(Random random, int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order);
        return order;
    }
}
