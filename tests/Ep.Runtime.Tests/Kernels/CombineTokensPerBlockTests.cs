using Ep.Engines.Staged;
using Xunit;

namespace Ep.Runtime.Tests.Kernels;

/// <summary>How many tokens each <c>ep_combine_tokens</c> block takes: as many as still leave 1024 blocks, at most 8.</summary>
public sealed class CombineTokensPerBlockTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(128, 1)]     // a LowLatency batch: every block it can get
    [InlineData(2046, 1)]    // two per block would leave 1023 blocks
    [InlineData(2048, 2)]
    [InlineData(4096, 4)]    // ep_bench's HT default: 1024 blocks, the fastest setting measured on an H100
    [InlineData(8192, 8)]
    [InlineData(16384, 8)]   // never more than the kernel's EP_COMBINE_TOKENS
    public void Takes_the_most_tokens_that_leave_enough_blocks(int tokens, int expected)
    {
        int perBlock = StagedKernels.CombineTokensPerBlock(tokens);

        Assert.Equal(expected, perBlock);
        Assert.InRange(perBlock, 1, StagedKernels.MaxTokensPerCombineBlock);
    }
}
