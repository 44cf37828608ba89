using System;

namespace Ep.Bench.Routing;

/// <summary>
/// The routing NCCL EP's ep_bench uses, so that byte counts and load match it: HT gives each token the first top-k
/// entries of a fresh random permutation of the experts (uniform, no -1), seeded rank + 42; LL takes the top-k of
/// |randn| + 1 scores per token, then sets 10 random (token, slot) entries to -1 (dropped selections), seeded rank + 1.
/// </summary>
/// <remarks>
/// Same distributions and seeds as ep_bench, not the same numbers: ep_bench draws from <c>std::mt19937</c> through
/// libstdc++'s <c>std::shuffle</c>, which .NET does not reproduce; the counts the byte formulas see agree in
/// expectation (HT at one rank: every token, exactly).
/// </remarks>
internal static class EpBenchRouting
{
    /// <summary>ep_bench's LL masking: this many (token, slot) draws are set to -1 (repeats possible).</summary>
    public const int LowLatencyMaskedDraws = 10;

    /// <summary>HT routing of <paramref name="rank"/>: [tokens, topK] expert ids, row-major.</summary>
    public static long[] HighThroughput(int tokens, int experts, int topK, int rank)
    {
        RequireSizes(tokens, experts, topK);
        var random = new Random(rank + 42);
        var permutation = new long[experts];
        var idx = new long[(long)tokens * topK];
        for (int e = 0; e < experts; e++)
        {
            permutation[e] = e;
        }

        for (int t = 0; t < tokens; t++)
        {
            random.Shuffle(permutation);
            Array.Copy(permutation, 0, idx, (long)t * topK, topK);
        }

        return idx;
    }

    /// <summary>LL routing of <paramref name="rank"/>: [tokens, topK] expert ids by descending score, some -1.</summary>
    public static long[] LowLatency(int tokens, int experts, int topK, int rank)
    {
        RequireSizes(tokens, experts, topK);
        var random = new Random(rank + 1);
        var scores = new float[experts];
        var order = new int[experts];
        var idx = new long[(long)tokens * topK];
        for (int t = 0; t < tokens; t++)
        {
            for (int e = 0; e < experts; e++)
            {
                scores[e] = -(MathF.Abs(StandardNormal(random)) + 1f); // negated: an ascending sort puts the largest first
                order[e] = e;
            }

            Array.Sort(scores, order);
            for (int k = 0; k < topK; k++)
            {
                idx[(long)t * topK + k] = order[k];
            }
        }

        if (tokens > 0)
        {
            for (int i = 0; i < LowLatencyMaskedDraws; i++)
            {
                int token = random.Next(tokens);
                int slot = random.Next(topK);
                idx[(long)token * topK + slot] = -1;
            }
        }

        return idx;
    }

    private static float StandardNormal(Random random)
    {
        // Box–Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    private static void RequireSizes(int tokens, int experts, int topK)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(experts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(topK, experts);
    }
}
