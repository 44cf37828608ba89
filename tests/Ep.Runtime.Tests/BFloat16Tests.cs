using Xunit;

namespace Ep.Runtime.Tests;

/// <summary>Conversions checked against bit patterns worked out by hand from the IEEE single layout.</summary>
public sealed class BFloat16Tests
{
    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0 is exact
    [InlineData(0x3F808000u, (ushort)0x3F80)] // halfway, kept bit even (0) -> stays
    [InlineData(0x3F818000u, (ushort)0x3F82)] // halfway, kept bit odd (1) -> rounds up to even
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above halfway -> up
    [InlineData(0x3F807FFFu, (ushort)0x3F80)] // just below halfway -> down
    [InlineData(0x80000000u, (ushort)0x8000)] // -0 keeps its sign
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float.MaxValue rounds past the largest bf16 to +inf
    [InlineData(0x7F7F7FFFu, (ushort)0x7F7F)] // just below the rounding point stays the largest finite bf16
    [InlineData(0x7F800000u, (ushort)0x7F80)] // +inf
    [InlineData(0xFF800000u, (ushort)0xFF80)] // -inf
    [InlineData(0x00008000u, (ushort)0x0000)] // smallest subnormal tie, even -> 0
    [InlineData(0x00018000u, (ushort)0x0002)] // subnormal tie, odd -> up
    [InlineData(0x007FFFFFu, (ushort)0x0080)] // largest subnormal rounds up into the smallest normal
    public void Rounds_to_nearest_even(uint singleBits, ushort expected)
    {
        float value = System.BitConverter.UInt32BitsToSingle(singleBits);
        Assert.Equal(expected, ((BFloat16)value).RawBits);
    }

    [Theory]
    [InlineData(0x7FC00000u, (ushort)0x7FC0)] // canonical quiet NaN
    [InlineData(0xFFC00001u, (ushort)0xFFC0)] // negative NaN keeps its sign
    [InlineData(0x7F800001u, (ushort)0x7FC0)] // signalling NaN whose payload is only in the low bits must not become inf
    [InlineData(0x7FA00000u, (ushort)0x7FE0)] // payload's top bits kept, quiet bit forced
    public void Keeps_nan_as_nan(uint singleBits, ushort expected)
    {
        var converted = (BFloat16)System.BitConverter.UInt32BitsToSingle(singleBits);
        Assert.Equal(expected, converted.RawBits);
        Assert.True(BFloat16.IsNaN(converted));
    }

    [Fact]
    public void Widening_is_exact_for_every_bit_pattern()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            BFloat16 value = BFloat16.FromBits((ushort)bits);
            float widened = value;
            if (BFloat16.IsNaN(value))
            {
                Assert.True(float.IsNaN(widened));
                continue;
            }

            Assert.Equal((uint)bits << 16, System.BitConverter.SingleToUInt32Bits(widened));
            Assert.Equal(value, (BFloat16)widened);
        }
    }

    [Fact]
    public void Classifies_special_values()
    {
        Assert.True(BFloat16.IsInfinity(BFloat16.PositiveInfinity));
        Assert.True(BFloat16.IsInfinity(BFloat16.NegativeInfinity));
        Assert.False(BFloat16.IsFinite(BFloat16.NaN));
        Assert.True(BFloat16.IsFinite(BFloat16.MaxValue));
        Assert.Equal(3.3895314e38f, (float)BFloat16.MaxValue);
        Assert.Equal("1.5", ((BFloat16)1.5f).ToString());
    }
}
