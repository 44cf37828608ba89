using System;
using System.Linq;

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

    private StepProblem(int[] tokenCounts, BFloat16[][] tokens, long[][] idx, float[][] weights, BFloat16[][] gradOutput)
    {
        TokenCounts = tokenCounts;
        Tokens = tokens;
        Idx = idx;
        Weights = weights;
        GradOutput = gradOutput;
    }

    public int[] TokenCounts { get; }

    public BFloat16[][] Tokens { get; }

    public long[][] Idx { get; }

    public float[][] Weights { get; }

    public BFloat16[][] GradOutput { get; }

    /// <summary>A copy in arrays of its own (to change without touching this one) of every rank's first <paramref name="tokens"/> tokens (all when null).</summary>
    public StepProblem Copy(int? tokens = null)
    {
        int ranks = TokenCounts.Length;
        int[] counts = new int[ranks];
        for (int r = 0; r < ranks; r++)
        {
            counts[r] = Math.Min(TokenCounts[r], tokens ?? TokenCounts[r]);
        }

        T[][] First<T>(T[][] rows) => [.. rows.Select((values, r) => values[..(TokenCounts[r] == 0 ? 0 : values.Length / TokenCounts[r] * counts[r])])];
        return new StepProblem(counts, First(Tokens), First(Idx), First(Weights), First(GradOutput));
    }

    /// <summary>Changes <paramref name="rank"/>'s last routing entry to an expert its token does not name yet (weight 0.5).</summary>
    public void ChangeLastId(int rank, int experts, int topK)
    {
        long[] idx = Idx[rank];
        long[] row = idx[^topK..];
        idx[^1] = Enumerable.Range(0, experts).First(e => !row.Contains(e));
        Weights[rank][^1] = 0.5f;
    }

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
