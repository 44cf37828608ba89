using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>
/// The NcclEp layer's copies of the ids and weights: eager Dispatch writes the pair the current step does not use, and
/// only a Dispatch that passed its checks makes it current (a refused one commits nothing:
/// NcclEpEngineTests.High_throughput_keeps_the_handle_only_while_every_ranks_routing_repeats); a kept handle keeps its ids
/// while the weights turn; the captured steps' pair is never an eager one.
/// </summary>
public sealed class NcclEpSourceCopiesTests
{
    [Fact]
    public void A_committed_step_makes_its_copies_current_and_the_previous_ones_next()
    {
        using var copies = new NcclEpSourceCopies(EpDevice.Cpu, maxTokens: 4, topK: 2);
        DeviceTensor<long> idx = copies.Idx, nextIdx = copies.NextIdx;
        DeviceTensor<float> weights = copies.Weights, nextWeights = copies.NextWeights;
        Assert.NotSame(idx, nextIdx);
        Assert.NotSame(weights, nextWeights);
        Assert.Equal((4, 2), (nextIdx.Rows, nextIdx.Columns));

        copies.Commit(keepIdx: false);

        Assert.Equal((nextIdx, nextWeights), (copies.Idx, copies.Weights));
        Assert.Equal((idx, weights), (copies.NextIdx, copies.NextWeights));
    }

    [Fact]
    public void A_kept_handle_keeps_its_ids_while_the_weights_turn()
    {
        using var copies = new NcclEpSourceCopies(EpDevice.Cpu, maxTokens: 4, topK: 2);
        copies.Commit(keepIdx: false);
        DeviceTensor<long> held = copies.Idx;
        DeviceTensor<float> weights = copies.Weights, nextWeights = copies.NextWeights;

        copies.Commit(keepIdx: true);
        copies.Commit(keepIdx: true);
        copies.Commit(keepIdx: true);

        Assert.Same(held, copies.Idx);
        Assert.Same(nextWeights, copies.Weights);
        Assert.Same(weights, copies.NextWeights);
    }

    [Fact]
    public void No_eager_turn_uses_the_captured_steps_pair()
    {
        using var copies = new NcclEpSourceCopies(EpDevice.Cpu, maxTokens: 4, topK: 2);
        for (int step = 0; step < 4; step++)
        {
            Assert.NotSame(copies.CapturedIdx, copies.Idx);
            Assert.NotSame(copies.CapturedIdx, copies.NextIdx);
            Assert.NotSame(copies.CapturedWeights, copies.Weights);
            Assert.NotSame(copies.CapturedWeights, copies.NextWeights);
            copies.Commit(keepIdx: step % 2 == 0);
        }
    }
}
