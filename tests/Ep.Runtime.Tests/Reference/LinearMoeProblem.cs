using System;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// A random MoE whose expert e is a linear map W_e[H, H] (y = W_e x), with bf16 inputs and fp64 math, computed both
/// densely in one process (<see cref="Dense"/>) and through an expert-parallel layer (<see cref="RunRank"/>).
/// </summary>
internal sealed class LinearMoeProblem
{
    public LinearMoeProblem(int ranks, EpLayerSpec spec, int seed)
    {
        var random = new Random(seed);
        Ranks = ranks;
        Spec = spec;
        int h = spec.HiddenSize, k = spec.TopK, e = spec.Experts;
        ExpertWeights = new double[e][];
        for (int x = 0; x < e; x++)
        {
            ExpertWeights[x] = new double[h * h];
            for (int i = 0; i < h * h; i++)
            {
                ExpertWeights[x][i] = (float)(BFloat16)(float)((random.NextDouble() * 2 - 1) / Math.Sqrt(h));
            }
        }

        TokenCounts = new int[ranks];
        Tokens = new float[ranks][];
        TopkIdx = new long[ranks][];
        TopkWeights = new float[ranks][];
        GradOutput = new float[ranks][];
        for (int r = 0; r < ranks; r++)
        {
            int t = random.Next(spec.MaxTokensPerRank + 1);
            TokenCounts[r] = t;
            Tokens[r] = RandomBf16(random, t * h);
            GradOutput[r] = RandomBf16(random, t * h);
            TopkIdx[r] = new long[t * k];
            TopkWeights[r] = new float[t * k];
            for (int token = 0; token < t; token++)
            {
                int[] experts = Pick(random, e, k);
                for (int slot = 0; slot < k; slot++)
                {
                    // About one slot in five is unused.
                    bool unused = random.Next(5) == 0;
                    TopkIdx[r][token * k + slot] = unused ? -1 : experts[slot];
                    TopkWeights[r][token * k + slot] = unused ? 0f : (float)random.NextDouble();
                }
            }
        }
    }

    public int Ranks { get; }

    public EpLayerSpec Spec { get; }

    public double[][] ExpertWeights { get; }

    public int[] TokenCounts { get; }

    public float[][] Tokens { get; }

    public long[][] TopkIdx { get; }

    public float[][] TopkWeights { get; }

    public float[][] GradOutput { get; }

    /// <summary>What one rank (or the dense computation, per rank) produced.</summary>
    internal sealed record Result(float[] Output, float[] GradTokens, float[]? GradTopkWeights, double[][] GradExpertWeights);

    /// <summary>Forward and backward in fp64 in one process: the ground truth.</summary>
    public Result[] Dense()
    {
        int h = Spec.HiddenSize, k = Spec.TopK;
        var gradW = NewExpertGradients();
        var results = new Result[Ranks];
        for (int r = 0; r < Ranks; r++)
        {
            int t = TokenCounts[r];
            var output = new float[t * h];
            var gradTokens = new float[t * h];
            var gradTopk = new float[t * k];
            for (int token = 0; token < t; token++)
            {
                ReadOnlySpan<float> x = Tokens[r].AsSpan(token * h, h);
                ReadOnlySpan<float> dy = GradOutput[r].AsSpan(token * h, h);
                var y = new double[h];
                var dx = new double[h];
                for (int slot = 0; slot < k; slot++)
                {
                    long expert = TopkIdx[r][token * k + slot];
                    if (expert < 0)
                    {
                        continue;
                    }

                    double[] w = ExpertWeights[expert];
                    double c = Spec.ApplyWeightsInCombine ? TopkWeights[r][token * k + slot] : 1.0;
                    double dot = 0;
                    for (int i = 0; i < h; i++)
                    {
                        double yi = 0;
                        for (int j = 0; j < h; j++)
                        {
                            yi += w[i * h + j] * x[j];
                            dx[j] += c * w[i * h + j] * dy[i];
                            gradW[expert][i * h + j] += c * dy[i] * x[j];
                        }

                        y[i] += c * yi;
                        dot += dy[i] * yi;
                    }

                    gradTopk[token * k + slot] = (float)dot;
                }

                for (int i = 0; i < h; i++)
                {
                    output[token * h + i] = (float)y[i];
                    gradTokens[token * h + i] = (float)dx[i];
                }
            }

            results[r] = new Result(output, gradTokens, Spec.ApplyWeightsInCombine ? gradTopk : null, gradW);
        }

        return results;
    }

    /// <summary>One rank's forward + backward through <paramref name="layer"/>; expert math in fp64 on bf16 rows.</summary>
    public Result RunRank(EpLayerRuntime layer, int rank)
    {
        int h = Spec.HiddenSize, k = Spec.TopK, t = TokenCounts[rank];
        int firstExpert = rank * layer.LocalExperts;
        using var tokens = TestTensors.Bf(Tokens[rank], t, h);
        using var topkIdx = DeviceTensor<long>.FromArray(TopkIdx[rank], t, k);
        using var topkWeights = DeviceTensor<float>.FromArray(TopkWeights[rank], t, k);
        using var gradOutput = TestTensors.Bf(GradOutput[rank], t, h);

        EpDispatchResult dispatched = layer.Dispatch(tokens, topkIdx, topkWeights);
        EpPermutedBatch batch = layer.Permute(dispatched);
        float[] expertIn = TestTensors.Floats(batch.Tokens);
        var expertOutValues = new float[expertIn.Length];
        ForEachExpertRow(batch, (e, m) => Apply(ExpertWeights[firstExpert + e], expertIn.AsSpan(m * h, h), expertOutValues.AsSpan(m * h, h), transpose: false));
        using var expertOut = TestTensors.Bf(expertOutValues, batch.RowCount, h);
        float[] output = TestTensors.Floats(layer.Combine(layer.Unpermute(batch, expertOut)));

        EpUnpermuteGradients unpermuteGrads = layer.UnpermuteBackward(batch, expertOut, layer.CombineBackward(gradOutput));
        float[] gradExpertOut = TestTensors.Floats(unpermuteGrads.GradExpertOutput);
        var gradExpertIn = new float[expertIn.Length];
        double[][] gradW = NewExpertGradients();
        ForEachExpertRow(batch, (e, m) =>
        {
            Apply(ExpertWeights[firstExpert + e], gradExpertOut.AsSpan(m * h, h), gradExpertIn.AsSpan(m * h, h), transpose: true);
            for (int i = 0; i < h; i++)
            {
                for (int j = 0; j < h; j++)
                {
                    gradW[firstExpert + e][i * h + j] += gradExpertOut[m * h + i] * (double)expertIn[m * h + j];
                }
            }
        });
        using var gradPermuted = TestTensors.Bf(gradExpertIn, batch.RowCount, h);
        EpDispatchGradients grads = layer.DispatchBackward(layer.PermuteBackward(batch, gradPermuted), unpermuteGrads.GradWeights);
        return new Result(output, TestTensors.Floats(grads.GradTokens), grads.GradTopkWeights?.ToArray(), gradW);
    }

    private double[][] NewExpertGradients()
    {
        var gradients = new double[Spec.Experts][];
        for (int e = 0; e < Spec.Experts; e++)
        {
            gradients[e] = new double[Spec.HiddenSize * Spec.HiddenSize];
        }

        return gradients;
    }

    private static void ForEachExpertRow(EpPermutedBatch batch, Action<int, int> action)
    {
        for (int e = 0; e < batch.ExpertCounts.Count; e++)
        {
            for (int m = batch.ExpertOffsets[e]; m < batch.ExpertOffsets[e] + batch.ExpertCounts[e]; m++)
            {
                action(e, m);
            }
        }
    }

    /// <summary>y = W x (or Wᵀ x), in fp64, rounded to bf16 as an expert kernel would store it.</summary>
    private static void Apply(double[] w, ReadOnlySpan<float> x, Span<float> y, bool transpose)
    {
        int h = x.Length;
        for (int i = 0; i < h; i++)
        {
            double sum = 0;
            for (int j = 0; j < h; j++)
            {
                sum += (transpose ? w[j * h + i] : w[i * h + j]) * x[j];
            }

            y[i] = (float)(BFloat16)(float)sum;
        }
    }

    private static float[] RandomBf16(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (BFloat16)(float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static int[] Pick(Random random, int experts, int count)
    {
        var all = new int[experts];
        for (int i = 0; i < experts; i++)
        {
            all[i] = i;
        }

        random.Shuffle(all);
        return all[..count];
    }
}
