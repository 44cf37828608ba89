using Ep.Engines.Staged;
using Xunit;

namespace Ep.Runtime.Tests.Kernels;

/// <summary>
/// The grid of the kernels that run a thread per (token, slot) — <c>ep_sanitize_routing</c> (and the error records a
/// captured step allocates for it), <c>ep_route_record</c>'s summary blocks: ⌊256 / K⌋ rows per block, as the kernels'
/// EP_ENTRY_TOKENS.
/// </summary>
public sealed class EntryBlocksTests
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
        Assert.Equal(expected, StagedKernels.EntryBlocks(paddedTokens, topK));
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
            int blocks = StagedKernels.EntryBlocks(tokens, topK);

            Assert.True(blocks * rowsPerBlock >= tokens, $"{blocks} blocks of {rowsPerBlock} rows miss some of {tokens} rows");
            Assert.True((blocks - 1) * rowsPerBlock < tokens, $"block {blocks - 1} of {tokens} rows at {rowsPerBlock} per block has none");
        }
    }

    [Theory]
    [InlineData(0, 8, 4, false, 1)]      // a step with no tokens still runs one summary block, which writes the record
    [InlineData(4096, 8, 1, false, 128)] // NcclEp: the summary alone
    [InlineData(4096, 8, 4, true, 132)]  // Staged: a scan per destination beside it
    [InlineData(0, 8, 4, true, 5)]
    public void The_routing_record_runs_at_least_one_summary_block_and_a_scan_per_destination_when_asked(int tokens, int topK, int ranks,
        bool scansPositions, int expected)
    {
        Assert.Equal(expected, StagedKernels.RouteRecordBlocks(tokens, topK, ranks, scansPositions));
    }
}
