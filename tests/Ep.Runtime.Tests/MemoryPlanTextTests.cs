using Xunit;

namespace Ep.Runtime.Tests;

/// <summary>The memory plan's one-line report, as the sample and tools print it.</summary>
public sealed class MemoryPlanTextTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(49_152L, "48.0 KiB")]
    [InlineData(3L * 1024 * 1024 / 2, "1.50 MiB")]
    [InlineData(7L * 1024 * 1024 * 1024 / 4, "1.75 GiB")]
    public void Bytes_read_in_the_largest_whole_unit(long bytes, string expected) => Assert.Equal(expected, EpMemoryPlan.Readable(bytes));

    [Fact]
    public void Report_names_layout_rows_and_bytes()
    {
        var spec = new EpLayerSpec { Experts = 16, TopK = 4, HiddenSize = 64, MaxTokensPerRank = 96 };

        string text = EpMemoryPlanner.Plan(spec, 4).ToString();

        // Flat: R·T = 384 rows; tokens 384·64·2 B, weights 384·4·4 B, indices 384·4·8 B.
        Assert.Equal("HighThroughput Flat layout, 4 ranks, 4 local experts: 384 rows, 66.0 KiB per rank (tokens 48.0 KiB, weights 6.0 KiB, indices 12.0 KiB)", text);
    }
}
