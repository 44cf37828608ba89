using System;

namespace Ep.Runtime.Tests.Reference;

/// <summary>Small builders and readers for CPU tensors in tests.</summary>
internal static class TestTensors
{
    public const string LayerName = "TestMoe";

    public static EpLayerRuntime Layer(EpGroup group, EpLayerSpec spec) => new(group, spec, string.Empty, LayerName);

    /// <summary>[rows.Length, h] bf16 rows whose first two columns are (a, b) and the rest zero.</summary>
    public static DeviceTensor<BFloat16> Pairs(int h, params (float A, float B)[] rows) =>
        Bf(Expand(h, rows), rows.Length, h);

    /// <summary>The float values of <see cref="Pairs"/>, for expected results.</summary>
    public static float[] Expand(int h, params (float A, float B)[] rows)
    {
        var values = new float[rows.Length * h];
        for (int r = 0; r < rows.Length; r++)
        {
            values[r * h] = rows[r].A;
            values[r * h + 1] = rows[r].B;
        }

        return values;
    }

    public static DeviceTensor<BFloat16> Bf(float[] values, int rows, int columns)
    {
        var data = new BFloat16[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            data[i] = (BFloat16)values[i];
        }

        return DeviceTensor<BFloat16>.FromArray(data, rows, columns);
    }

    public static DeviceTensor<long> Ids(int topK, params long[] ids) => DeviceTensor<long>.FromArray(ids, ids.Length / topK, topK);

    public static DeviceTensor<float> Weights(int topK, params float[] weights) => DeviceTensor<float>.FromArray(weights, weights.Length / topK, topK);

    public static float[] Floats(DeviceTensor<BFloat16> tensor)
    {
        BFloat16[] data = tensor.ToArray();
        var values = new float[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            values[i] = data[i];
        }

        return values;
    }

    /// <summary>A stand-in expert: row m of local expert e becomes (e + 1) · row (exact in bf16 for small values).</summary>
    public static DeviceTensor<BFloat16> ScaleByExpert(EpPermutedBatch batch, int h)
    {
        float[] rows = Floats(batch.Tokens);
        var output = new float[rows.Length];
        for (int e = 0; e < batch.ExpertCounts.Count; e++)
        {
            for (int m = batch.ExpertOffsets[e]; m < batch.ExpertOffsets[e] + batch.ExpertCounts[e]; m++)
            {
                for (int c = 0; c < h; c++)
                {
                    output[m * h + c] = (e + 1) * rows[m * h + c];
                }
            }
        }

        return Bf(output, batch.RowCount, h);
    }

    public static BFloat16[] Copy(DeviceTensor<BFloat16> tensor) => tensor.ToArray();

    public static void Fill(Span<BFloat16> span, float value) => span.Fill((BFloat16)value);
}
