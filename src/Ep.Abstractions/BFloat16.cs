using System;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Ep;

/// <summary>
/// A 16-bit brain floating-point number: the top half of an IEEE single (1 sign, 8 exponent, 7 mantissa bits).
/// The token payload type of every Ep layer.
/// </summary>
/// <remarks>
/// Conversion from <see cref="float"/> rounds to nearest, ties to even, as CUDA's <c>__float2bfloat16_rn</c> does,
/// so the CPU reference engine and the GPU kernels produce the same bits. NaN stays NaN (made quiet, sign kept);
/// values past the largest finite bf16 round to infinity.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = 2)]
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IFormattable
{
    private const ushort SignMask = 0x8000;
    private const ushort ExponentMask = 0x7F80;
    private const ushort MantissaMask = 0x007F;
    private const ushort QuietBit = 0x0040;

    private readonly ushort _bits;

    private BFloat16(ushort bits) => _bits = bits;

    /// <summary>The raw 16 bits.</summary>
    public ushort RawBits => _bits;

    /// <summary>Reinterprets 16 raw bits as a bf16 value.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>+0.</summary>
    public static BFloat16 Zero => new(0x0000);
    /// <summary>1.</summary>
    public static BFloat16 One => new(0x3F80);
    /// <summary>+∞.</summary>
    public static BFloat16 PositiveInfinity => new(0x7F80);
    /// <summary>−∞.</summary>
    public static BFloat16 NegativeInfinity => new(0xFF80);
    /// <summary>The canonical quiet NaN.</summary>
    public static BFloat16 NaN => new(0x7FC0);
    /// <summary>The largest finite value, 3.3895314e38.</summary>
    public static BFloat16 MaxValue => new(0x7F7F);
    /// <summary>The smallest positive subnormal value, 9.18e-41.</summary>
    public static BFloat16 Epsilon => new(0x0001);

    /// <summary>True for NaN.</summary>
    public static bool IsNaN(BFloat16 value) => (value._bits & ExponentMask) == ExponentMask && (value._bits & MantissaMask) != 0;

    /// <summary>True for +∞ or −∞.</summary>
    public static bool IsInfinity(BFloat16 value) => (value._bits & ~SignMask) == ExponentMask;

    /// <summary>True for values that are neither NaN nor infinite.</summary>
    public static bool IsFinite(BFloat16 value) => (value._bits & ExponentMask) != ExponentMask;

    /// <summary>Rounds a single to the nearest bf16, ties to even.</summary>
    public static explicit operator BFloat16(float value) => new(RoundToNearestEven(value));

    /// <summary>Widens to a single; exact.</summary>
    public static implicit operator float(BFloat16 value) => SingleBits.ToSingle((uint)value._bits << 16);

    /// <summary>Rounds a single to the nearest bf16, ties to even. Same as the explicit conversion.</summary>
    public static BFloat16 FromSingle(float value) => (BFloat16)value;

    /// <summary>Widens to a single; exact.</summary>
    public float ToSingle() => this;

    private static ushort RoundToNearestEven(float value)
    {
        uint bits = SingleBits.ToUInt32(value);
        if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0)
        {
            // NaN: keep sign and the top payload bits, and force the quiet bit so truncation cannot make it ∞.
            return (ushort)((bits >> 16) | QuietBit);
        }

        // Adding 0x7FFF plus the lowest kept bit rounds ties to even; a carry into the exponent is correct
        // (it is how the largest values round up to ∞, and how subnormals round up to the smallest normal).
        uint lowestKeptBit = (bits >> 16) & 1u;
        return (ushort)((bits + 0x7FFFu + lowestKeptBit) >> 16);
    }

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => _bits == other._bits;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _bits;

    /// <summary>Compares numerically; NaN sorts first, as <see cref="float.CompareTo(float)"/> does.</summary>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <summary>Bitwise equality (so +0 ≠ −0 and NaN == the same NaN), which is what bit-exact engine comparisons need.</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => left._bits == right._bits;

    /// <summary>Bitwise inequality.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => left._bits != right._bits;

    /// <summary>Numeric less-than (false when either is NaN).</summary>
    public static bool operator <(BFloat16 left, BFloat16 right) => (float)left < (float)right;

    /// <summary>Numeric greater-than (false when either is NaN).</summary>
    public static bool operator >(BFloat16 left, BFloat16 right) => (float)left > (float)right;

    /// <summary>Numeric less-or-equal (false when either is NaN).</summary>
    public static bool operator <=(BFloat16 left, BFloat16 right) => (float)left <= (float)right;

    /// <summary>Numeric greater-or-equal (false when either is NaN).</summary>
    public static bool operator >=(BFloat16 left, BFloat16 right) => (float)left >= (float)right;

    /// <inheritdoc/>
    public override string ToString() => ((float)this).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ((float)this).ToString(format, formatProvider);

    /// <summary>Bit-casts between float and uint without unsafe code (netstandard2.0 lacks BitConverter.SingleToUInt32Bits).</summary>
    [StructLayout(LayoutKind.Explicit)]
    private struct SingleBits
    {
        [FieldOffset(0)] private float _single;
        [FieldOffset(0)] private uint _bits;

        public static uint ToUInt32(float value) => new SingleBits { _single = value }._bits;

        public static float ToSingle(uint bits) => new SingleBits { _bits = bits }._single;
    }
}
