using System;

namespace Ep;

/// <summary>
/// The arithmetic of docs/semantics.md on bf16 rows: products and sums in fp32 (accumulators start at +0 and add
/// terms in the order the caller feeds them), converted to bf16 with round-to-nearest-even once at the end.
/// </summary>
internal static class RowMath
{
    public static Span<T> Row<T>(Span<T> matrix, int row, int columns) => matrix.Slice(row * columns, columns);

    public static ReadOnlySpan<T> Row<T>(ReadOnlySpan<T> matrix, int row, int columns) => matrix.Slice(row * columns, columns);

    /// <summary>acc += row, element-wise in fp32.</summary>
    public static void Accumulate(Span<float> acc, ReadOnlySpan<BFloat16> row)
    {
        for (int i = 0; i < acc.Length; i++)
        {
            acc[i] += row[i];
        }
    }

    /// <summary>acc += scale · row, element-wise in fp32 (product rounded to fp32, then added; no fused multiply-add).</summary>
    public static void Accumulate(Span<float> acc, ReadOnlySpan<BFloat16> row, float scale)
    {
        for (int i = 0; i < acc.Length; i++)
        {
            float product = scale * row[i];
            acc[i] += product;
        }
    }

    /// <summary>destination = bf16(acc), the one rounding of a sum.</summary>
    public static void Round(ReadOnlySpan<float> acc, Span<BFloat16> destination)
    {
        for (int i = 0; i < acc.Length; i++)
        {
            destination[i] = (BFloat16)acc[i];
        }
    }

    /// <summary>destination = bf16(scale · source), one product rounded once.</summary>
    public static void Scale(ReadOnlySpan<BFloat16> source, float scale, Span<BFloat16> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = (BFloat16)(scale * source[i]);
        }
    }

    /// <summary>⟨a, b⟩ in fp32, summed in ascending element order.</summary>
    public static float Dot(ReadOnlySpan<BFloat16> a, ReadOnlySpan<BFloat16> b)
    {
        float sum = 0f;
        for (int i = 0; i < a.Length; i++)
        {
            float product = a[i] * (float)b[i];
            sum += product;
        }

        return sum;
    }
}
