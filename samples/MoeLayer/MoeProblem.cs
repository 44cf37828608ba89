using System;
using Ep;

namespace MoeLayer;

/// <summary>
/// One reproducible MoE problem: per-rank tokens and routing, expert weights, and an upstream gradient.
/// Values are drawn as bf16 so the EP run and the dense reference start from identical numbers.
/// </summary>
internal sealed class MoeProblem
{
    private MoeProblem(int ranks, int hidden, int topK, int experts, int[] tokensPerRank, int seed)
    {
        Ranks = ranks;
        Hidden = hidden;
        TopK = topK;
        Experts = experts;
        TokensPerRank = tokensPerRank;
        var random = new Random(seed);
        Tokens = new BFloat16[ranks][];
        TopkIdx = new long[ranks][];
        TopkWeights = new float[ranks][];
        GradOutput = new BFloat16[ranks][];
        for (int r = 0; r < ranks; r++)
        {
            int t = tokensPerRank[r];
            Tokens[r] = RandomBf16(random, t * hidden, 1f);
            GradOutput[r] = RandomBf16(random, t * hidden, 1f);
            (TopkIdx[r], TopkWeights[r]) = Route(random, t, topK, experts);
        }

        ExpertWeights = new float[experts][];
        for (int e = 0; e < experts; e++)
        {
            ExpertWeights[e] = Array.ConvertAll(RandomBf16(random, hidden * hidden, 1f / MathF.Sqrt(hidden)), v => (float)v);
        }
    }

    public int Ranks { get; }
    public int Hidden { get; }
    public int TopK { get; }
    public int Experts { get; }
    public int[] TokensPerRank { get; }

    /// <summary>Per rank: [T_r, H] input tokens.</summary>
    public BFloat16[][] Tokens { get; }
    /// <summary>Per rank: [T_r, K] expert ids, −1 where a slot is unused.</summary>
    public long[][] TopkIdx { get; }
    /// <summary>Per rank: [T_r, K] routing weights (softmax over the chosen experts).</summary>
    public float[][] TopkWeights { get; }
    /// <summary>Per rank: [T_r, H] gradient of the loss with respect to the layer output.</summary>
    public BFloat16[][] GradOutput { get; }
    /// <summary>Per expert: [H, H] weights of its linear map y = x · W.</summary>
    public float[][] ExpertWeights { get; }

    /// <summary>Uneven token counts, and one rank with none, so the sample exercises the awkward cases too.</summary>
    public static MoeProblem Create(int ranks, int maxTokens, int seed)
    {
        var tokens = new int[ranks];
        for (int r = 0; r < ranks; r++)
        {
            tokens[r] = r == ranks - 1 && ranks > 1 ? 0 : maxTokens - (r * 7 % Math.Max(1, maxTokens / 2));
        }

        return new MoeProblem(ranks, SampleMoe.HiddenSize, SampleMoe.TopK, SampleMoe.Experts, tokens, seed);
    }

    private static BFloat16[] RandomBf16(Random random, int count, float scale)
    {
        var values = new BFloat16[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (BFloat16)(((float)random.NextDouble() * 2f - 1f) * scale);
        }

        return values;
    }

    private static (long[] Idx, float[] Weights) Route(Random random, int tokens, int topK, int experts)
    {
        var idx = new long[tokens * topK];
        var weights = new float[tokens * topK];
        Span<int> order = stackalloc int[experts];
        Span<float> logits = stackalloc float[topK];
        for (int t = 0; t < tokens; t++)
        {
            for (int e = 0; e < experts; e++)
            {
                order[e] = e;
            }

            random.Shuffle(order);
            float sum = 0;
            for (int k = 0; k < topK; k++)
            {
                logits[k] = MathF.Exp((float)random.NextDouble());
                sum += logits[k];
            }

            for (int k = 0; k < topK; k++)
            {
                // About one slot in ten is unused (−1), as capacity-limited routers produce.
                bool unused = random.Next(10) == 0;
                idx[t * topK + k] = unused ? -1 : order[k];
                weights[t * topK + k] = unused ? 0f : logits[k] / sum;
            }
        }

        return (idx, weights);
    }
}
