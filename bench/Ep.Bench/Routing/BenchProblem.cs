using System;

namespace Ep.Bench.Routing;

/// <summary>One rank's host inputs: tokens, routing, weights and the gradient fed to CombineBackward.</summary>
/// <param name="Tokens">[T, H] bf16.</param>
/// <param name="TopkIdx">[T, K] expert ids (ep_bench's routing).</param>
/// <param name="TopkWeights">[T, K] positive weights summing to 1 over a token's valid slots.</param>
/// <param name="GradOutput">[T, H] bf16, the gradient of the combined output.</param>
internal sealed record RankInputs(BFloat16[] Tokens, long[] TopkIdx, float[] TopkWeights, BFloat16[] GradOutput);

/// <summary>Every rank's inputs for one configuration: ep_bench's routing, random non-zero payloads (never time zeros).</summary>
internal sealed class BenchProblem
{
    private BenchProblem(EpLayerSpec spec, int tokens, RankInputs[] ranks)
    {
        Spec = spec;
        Tokens = tokens;
        Ranks = ranks;
    }

    /// <summary>The layer's constants.</summary>
    public EpLayerSpec Spec { get; }

    /// <summary>Tokens per rank.</summary>
    public int Tokens { get; }

    /// <summary>Inputs indexed by rank.</summary>
    public RankInputs[] Ranks { get; }

    /// <summary>The routing of every rank, for the byte formulas.</summary>
    public long[][] Routing => Array.ConvertAll(Ranks, r => r.TopkIdx);

    /// <summary>Makes the inputs of <paramref name="ranks"/> ranks with <paramref name="tokens"/> tokens each.</summary>
    public static BenchProblem Create(EpLayerSpec spec, int ranks, int tokens)
    {
        ArgumentNullException.ThrowIfNull(spec);
        long[][] routing = RoutingOf(spec, ranks, tokens);
        var inputs = new RankInputs[ranks];
        for (int r = 0; r < ranks; r++)
        {
            inputs[r] = InputsOf(spec, r, tokens, routing[r]);
        }

        return new BenchProblem(spec, tokens, inputs);
    }

    /// <summary>ep_bench's routing of every rank (cheap: a process run makes every rank's, for the byte formulas).</summary>
    public static long[][] RoutingOf(EpLayerSpec spec, int ranks, int tokens)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var routing = new long[ranks][];
        for (int r = 0; r < ranks; r++)
        {
            routing[r] = spec.Algorithm == EpAlgorithm.LowLatency
                ? EpBenchRouting.LowLatency(tokens, spec.Experts, spec.TopK, r)
                : EpBenchRouting.HighThroughput(tokens, spec.Experts, spec.TopK, r);
        }

        return routing;
    }

    /// <summary>
    /// The inputs of <paramref name="rank"/> alone, on its routing <paramref name="idx"/> (a process run makes only its own
    /// tokens); the same values <see cref="Create"/> gives that rank.
    /// </summary>
    public static RankInputs InputsOf(EpLayerSpec spec, int rank, int tokens, long[] idx)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(idx);
        var random = new Random(1000 + rank);
        return new RankInputs(RandomRows(random, (long)tokens * spec.HiddenSize), idx, Weights(random, idx, spec.TopK),
            RandomRows(random, (long)tokens * spec.HiddenSize));
    }

    private static BFloat16[] RandomRows(Random random, long count)
    {
        var values = new BFloat16[count];
        for (long i = 0; i < count; i++)
        {
            values[i] = (BFloat16)(random.NextSingle() * 2f - 1f);
        }

        return values;
    }

    private static float[] Weights(Random random, long[] idx, int topK)
    {
        var weights = new float[idx.Length];
        for (long row = 0; row < idx.Length / topK; row++)
        {
            float sum = 0f;
            for (int k = 0; k < topK; k++)
            {
                long i = row * topK + k;
                weights[i] = idx[i] >= 0 ? 0.1f + random.NextSingle() : 0f;
                sum += weights[i];
            }

            for (int k = 0; sum > 0f && k < topK; k++)
            {
                weights[row * topK + k] /= sum;
            }
        }

        return weights;
    }
}
