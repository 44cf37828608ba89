using Ep.Engines.Staged;
using Xunit;

namespace Ep.Runtime.Tests.Kernels;

/// <summary>
/// The grid of <c>ep_sanitize_routing</c> (and the error records a captured step allocates for it): a thread per
/// (token, slot), so ⌊256 / K⌋ rows per block, as the kernel's EP_SANITIZE_TOKENS.
/// </summary>
public sealed class SanitizeBlocksTests
{
    [Theory]
    [InlineData(1, 8, 1)]        // the stand-in token of a rank without tokens
    [InlineData(128, 8, 4)]      // ep_bench's LowLatency default: 32 rows per block
    [InlineData(4096, 8, 128)]   // ep_bench's HighThroughput default
    [InlineData(100, 6, 3)]      // K not dividing 256: 42 rows per block
    [InlineData(4096, 1, 16)]
    [InlineData(64, 32, 8)]      // EpRules' largest top-k: 8 rows per block
    public void Gives_each_block_the_rows_of_its_256_threads(int paddedTokens, int topK, int expected)
    {
        Assert.Equal(expected, StagedKernels.SanitizeBlocks(paddedTokens, topK));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(32)]
    public void Covers_every_row_and_leaves_no_block_without_one(int topK)
    {
        int rowsPerBlock = 256 / topK;
        for (int tokens = 1; tokens <= 2048; tokens++)
        {
            int blocks = StagedKernels.SanitizeBlocks(tokens, topK);

            Assert.True(blocks * rowsPerBlock >= tokens, $"{blocks} blocks of {rowsPerBlock} rows miss some of {tokens} rows");
            Assert.True((blocks - 1) * rowsPerBlock < tokens, $"block {blocks - 1} of {tokens} rows at {rowsPerBlock} per block has none");
        }
    }
}
