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

    /// <summary>Lanes a dot product is split over (EP_DOT_LANES in native/kernels/60_gradients.cuh).</summary>
    public const int DotLanes = 32;

    /// <summary>Elements in one lane's step: one 16-byte vector of bf16 (HiddenSize is a multiple of it, EP0007).</summary>
    private const int DotVector = 8;

    /// <summary>
    /// ⟨a, b⟩ in fp32 in the order docs/semantics.md fixes for the GPU's warp per dot: lane l sums the products of
    /// 8-element vectors l, l + 32, l + 64, … (ascending element order inside each) from +0; then p[l] += p[l + s] for
    /// s = 16, 8, 4, 2, 1, and the dot is p[0]. (A product of two bf16 values is exact in fp32 unless it over- or underflows.)
    /// </summary>
    public static float Dot(ReadOnlySpan<BFloat16> a, ReadOnlySpan<BFloat16> b)
    {
        Span<float> partial = stackalloc float[DotLanes];
        int vectors = a.Length / DotVector;
        for (int lane = 0; lane < DotLanes; lane++)
        {
            float sum = 0f;
            for (int v = lane; v < vectors; v += DotLanes)
            {
                for (int i = v * DotVector; i < (v + 1) * DotVector; i++)
                {
                    float product = a[i] * (float)b[i];
                    sum += product;
                }
            }

            partial[lane] = sum;
        }

        for (int s = DotLanes / 2; s > 0; s /= 2)
        {
            for (int lane = 0; lane < s; lane++)
            {
                partial[lane] += partial[lane + s];
            }
        }

        return partial[0];
    }
}
