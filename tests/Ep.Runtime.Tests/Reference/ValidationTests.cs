using System;
using System.Threading.Tasks;
using Xunit;
using static Ep.Runtime.Tests.Reference.TestTensors;

namespace Ep.Runtime.Tests.Reference;

/// <summary>Routing and capacity errors are collective, thrown before anything is written, and leave the layer usable.</summary>
public sealed class ValidationTests
{
    private const int H = 8;

    [Theory]
    [InlineData(4L, false)]
    [InlineData(-2L, false)]
    [InlineData(2L, true)]
    public void Bad_routing_on_one_rank_is_reported_on_every_rank_and_writes_nothing(long badId, bool duplicate)
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, HandComputedTests.Spec(EpLayout.Flat, weighted: false));
            EpDispatchResult previous = RunValidStep(layer);
            float[] previousRows = Floats(previous.Tokens);
            long[] previousIds = previous.TopkIdx!.ToArray();

            // Rank 1's token 1 is wrong in slot 1 (a duplicate of slot 0's expert 2, or out of range).
            using var tokens = Pairs(H, (9, 9), (9, 9));
            using var ids = group.Rank == 1 ? Ids(2, 1, -1, 2, badId) : Ids(2, 0, 1, 2, 3);
            using var weights = Weights(2, 1, 1, 1, 1);
            var error = Assert.Throws<EpRoutingException>(() => layer.Dispatch(tokens, ids, weights));
            Assert.Equal((1, 1, 1, badId), (error.Rank, error.Token, error.Slot, error.Value));
            Assert.Contains(duplicate ? "names the expert that slot 0 of the same row already names" : "outside [-1, 4)", error.Message, StringComparison.Ordinal);

            // Nothing was written, and the layer is still at the previous step.
            Assert.Equal(previousRows, Floats(previous.Tokens));
            Assert.Equal(previousIds, previous.TopkIdx!.ToArray());
            Assert.Same(previous, layer.Dispatched("test"));
            RunValidStep(layer);
        });
    }

    [Fact]
    public void The_lowest_rank_error_is_reported()
    {
        EpWorld.RunSimulated(3, group =>
        {
            using var layer = Layer(group, new EpLayerSpec { Experts = 6, TopK = 2, HiddenSize = H, MaxTokensPerRank = 2 });
            using var tokens = Pairs(H, (1, 1), (1, 1));
            using var ids = group.Rank switch
            {
                0 => Ids(2, 0, 1, 2, 3),
                1 => Ids(2, 0, 1, 5, 5),   // duplicate at token 1, slot 1
                _ => Ids(2, 6, 1, 0, 1),   // out of range at token 0, slot 0
            };
            using var weights = Weights(2, 1, 1, 1, 1);
            var error = Assert.Throws<EpRoutingException>(() => layer.Dispatch(tokens, ids, weights));
            Assert.Equal((1, 1, 1, 5L), (error.Rank, error.Token, error.Slot, error.Value));
        });
    }

    [Fact]
    public void Capacity_overflow_throws_on_every_rank_naming_the_destination_and_writes_nothing()
    {
        EpWorld.RunSimulated(2, group =>
        {
            var spec = HandComputedTests.Spec(EpLayout.Flat, weighted: false) with { RecvCapacityPerRank = 3 };
            using var layer = Layer(group, spec);
            EpDispatchResult previous = RunValidStep(layer);
            float[] previousRows = Floats(previous.Tokens);

            // Both ranks send all their tokens to expert 3 on rank 1: 5 rows > 3.
            using var tokens = group.Rank == 0 ? Pairs(H, (9, 9), (9, 9), (9, 9)) : Pairs(H, (9, 9), (9, 9));
            using var ids = group.Rank == 0 ? Ids(2, 3, -1, 3, -1, 3, -1) : Ids(2, 3, -1, 3, -1);
            using var weights = group.Rank == 0 ? Weights(2, 1, 0, 1, 0, 1, 0) : Weights(2, 1, 0, 1, 0);
            var error = Assert.Throws<EpCapacityException>(() => layer.Dispatch(tokens, ids, weights));
            Assert.Equal((1, 5L, 3L), (error.Rank, error.NeededRows, error.AvailableRows));
            Assert.Equal(previousRows, Floats(previous.Tokens));
            Assert.Same(previous, layer.Dispatched("test"));
        });
    }

    [Fact]
    public void Calls_out_of_order_and_stale_results_are_refused()
    {
        EpWorld.RunSimulated(1, group =>
        {
            using var layer = Layer(group, new EpLayerSpec { Experts = 2, TopK = 1, HiddenSize = H, MaxTokensPerRank = 2 });
            using var tokens = Pairs(H, (1, 2));
            using var ids = Ids(1, 1);
            using var weights = Weights(1, 1);
            Assert.Throws<EpStateException>(() => layer.Combine(tokens));
            Assert.Throws<EpStateException>(() => layer.CombineBackward(tokens));

            EpDispatchResult first = layer.Dispatch(tokens, ids, weights);
            EpPermutedBatch firstBatch = layer.Permute(first);
            Assert.Throws<EpStateException>(() => layer.Dispatch(tokens, ids, weights));
            Assert.Throws<EpStateException>(() => layer.DispatchBackward(first.Tokens, null));
            layer.Combine(layer.Unpermute(firstBatch, firstBatch.Tokens));
            Assert.Throws<EpStateException>(() => layer.Combine(first.Tokens));

            EpDispatchResult second = layer.Dispatch(tokens, ids, weights);
            Assert.Throws<EpStateException>(() => layer.Permute(first));
            EpPermutedBatch secondBatch = layer.Permute(second);
            Assert.Throws<EpStateException>(() => layer.Unpermute(firstBatch, firstBatch.Tokens));
            Assert.Equal(Expand(H, (1, 2)), Floats(layer.Unpermute(secondBatch, secondBatch.Tokens)));
        });
    }

    [Fact]
    public void Disposing_a_group_with_a_live_layer_throws()
    {
        EpWorld.RunSimulated(1, group =>
        {
            var layer = Layer(group, new EpLayerSpec { Experts = 2, TopK = 1, HiddenSize = H, MaxTokensPerRank = 2 });
            var error = Assert.Throws<InvalidOperationException>(group.Dispose);
            Assert.Contains(LayerName, error.Message, StringComparison.Ordinal);
            layer.Dispose();
        });
    }

    [Fact]
    public async Task A_failing_rank_is_rethrown_and_its_peers_stop_instead_of_hanging()
    {
        var peerErrors = new Exception?[3];
        Task run = Task.Run(() => EpWorld.RunSimulated(3, group =>
        {
            using var layer = Layer(group, new EpLayerSpec { Experts = 3, TopK = 1, HiddenSize = H, MaxTokensPerRank = 1 });
            if (group.Rank == 1)
            {
                throw new InvalidOperationException("rank 1 broke");
            }

            try
            {
                RunValidStep(layer, topK: 1);
            }
            catch (EpPeerFailedException error)
            {
                peerErrors[group.Rank] = error;
                throw;
            }
        }), TestContext.Current.CancellationToken);

        Task finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Same(run, finished);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.Equal("rank 1 broke", error.Message);
        Assert.Equal(1, Assert.IsType<EpPeerFailedException>(peerErrors[0]).FailedRank);
        Assert.Equal(1, Assert.IsType<EpPeerFailedException>(peerErrors[2]).FailedRank);
    }

    private static EpDispatchResult RunValidStep(EpLayerRuntime layer, int topK = 2)
    {
        using var tokens = Pairs(H, (1, 2));
        using var ids = topK == 2 ? Ids(2, 0, 3) : Ids(1, 0);
        using var weights = topK == 2 ? Weights(2, 1, 1) : Weights(1, 1);
        EpDispatchResult d = layer.Dispatch(tokens, ids, weights);
        EpPermutedBatch batch = layer.Permute(d);
        layer.Combine(layer.Unpermute(batch, batch.Tokens));
        return d;
    }
}
