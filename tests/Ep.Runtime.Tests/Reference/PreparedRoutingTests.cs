using System;
using Xunit;
using static Ep.Runtime.Tests.Reference.TestTensors;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// PrepareDispatch then Dispatch(tokens, routing): the same step as Dispatch with the ids and weights as Prepare read
/// them, errors thrown by the Dispatch, one use per preparation, and any other step start replacing it.
/// </summary>
public sealed class PreparedRoutingTests
{
    private const int H = 8;

    [Fact]
    public void A_prepared_step_equals_the_plain_step_and_routes_by_the_ids_as_prepared()
    {
        EpWorld.RunSimulated(2, group =>
        {
            var spec = HandComputedTests.Spec(EpLayout.Flat, weighted: true);
            using var plain = Layer(group, spec);
            using var prepared = Layer(group, spec);
            using var tokens = Pairs(H, (1, 2), (3, 4));
            using var ids = group.Rank == 0 ? Ids(2, 0, 3, 1, 2) : Ids(2, 2, -1, 3, 0);
            using var weights = Weights(2, 0.5f, 0.25f, 1, 2);

            float[] expected = Step(plain, plain.Dispatch(tokens, ids, weights));

            EpPreparedRouting routing = prepared.PrepareDispatch(ids, weights);
            Assert.Equal(2, routing.TokenCount);
            // Rewritten after the preparation: the step still routes by what it read.
            ids.AsSpan().Fill(-1);
            weights.AsSpan().Fill(9);
            Assert.Equal(expected, Step(prepared, prepared.Dispatch(tokens, routing)));
        });
    }

    [Fact]
    public void Bad_prepared_routing_is_thrown_by_the_Dispatch_on_every_rank_and_leaves_the_previous_step()
    {
        EpWorld.RunSimulated(2, group =>
        {
            using var layer = Layer(group, HandComputedTests.Spec(EpLayout.Flat, weighted: false));
            using var tokens = Pairs(H, (1, 2));
            using var good = Ids(2, 0, 3);
            using var weights = Weights(2, 1, 1);
            EpDispatchResult previous = layer.Dispatch(tokens, good, weights);
            EpPermutedBatch batch = layer.Permute(previous);
            layer.Combine(layer.Unpermute(batch, batch.Tokens));
            float[] previousRows = Floats(previous.Tokens);

            using var bad = group.Rank == 1 ? Ids(2, 0, 7) : Ids(2, 0, 3);
            EpPreparedRouting routing = layer.PrepareDispatch(bad, weights); // starts the checks, throws nothing
            var error = Assert.Throws<EpRoutingException>(() => layer.Dispatch(tokens, routing));
            Assert.Equal((1, 0, 1, 7L), (error.Rank, error.Token, error.Slot, error.Value));
            Assert.Equal(previousRows, Floats(previous.Tokens));
            Assert.Same(previous, layer.Dispatched("test"));

            // Used once, even when refused.
            Assert.Throws<EpStateException>(() => layer.Dispatch(tokens, routing));
        });
    }

    [Fact]
    public void A_routing_is_used_once_by_the_instance_that_prepared_it_and_replaced_by_any_other_step_start()
    {
        EpWorld.RunSimulated(1, group =>
        {
            var spec = new EpLayerSpec { Experts = 2, TopK = 1, HiddenSize = H, MaxTokensPerRank = 2 };
            using var layer = Layer(group, spec);
            using var other = Layer(group, spec);
            using var tokens = Pairs(H, (1, 2));
            using var ids = Ids(1, 1);
            using var weights = Weights(1, 1);

            EpPreparedRouting replaced = layer.PrepareDispatch(ids, weights);
            EpPreparedRouting latest = layer.PrepareDispatch(ids, weights);
            Assert.Throws<EpStateException>(() => layer.Dispatch(tokens, replaced));
            Assert.Throws<EpStateException>(() => other.Dispatch(tokens, latest));
            using var twoTokens = Pairs(H, (1, 2), (3, 4));
            EpShapeException rows = Assert.Throws<EpShapeException>(() => layer.Dispatch(twoTokens, latest));
            Assert.Equal(("tokens", 1L, 2L), (rows.ParamName, rows.Expected, rows.Actual));

            Assert.Throws<EpStateException>(() => layer.Dispatch(tokens, default(EpPreparedRouting)));
            EpDispatchResult first = layer.Dispatch(tokens, latest);
            Assert.Throws<EpStateException>(() => layer.PrepareDispatch(ids, weights)); // the step has not reached Combine
            Assert.Throws<EpStateException>(() => layer.Dispatch(tokens, latest));
            Step(layer, first);

            EpPreparedRouting beforePlain = layer.PrepareDispatch(ids, weights);
            Step(layer, layer.Dispatch(tokens, ids, weights));
            Assert.Throws<EpStateException>(() => layer.Dispatch(tokens, beforePlain));
        });
    }

    [Fact]
    public void PrepareDispatch_checks_the_shapes_first()
    {
        EpWorld.RunSimulated(1, group =>
        {
            using var layer = Layer(group, new EpLayerSpec { Experts = 2, TopK = 1, HiddenSize = H, MaxTokensPerRank = 2 });
            using var ids = Ids(1, 1, 0, 1);
            using var weights = Weights(1, 1, 1, 1);
            EpShapeException tooMany = Assert.Throws<EpShapeException>(() => layer.PrepareDispatch(ids, weights));
            Assert.Equal(("topkIdx", 2L, 3L), (tooMany.ParamName, tooMany.Expected, tooMany.Actual));

            using var twoIds = Ids(1, 1, 0);
            EpShapeException mismatch = Assert.Throws<EpShapeException>(() => layer.PrepareDispatch(twoIds, weights));
            Assert.Equal(("topkWeights", 2L, 3L), (mismatch.ParamName, mismatch.Expected, mismatch.Actual));
        });
    }

    /// <summary>The rest of the step (identity experts); the combined rows.</summary>
    private static float[] Step(EpLayerRuntime layer, EpDispatchResult dispatched)
    {
        EpPermutedBatch batch = layer.Permute(dispatched);
        return Floats(layer.Combine(layer.Unpermute(batch, batch.Tokens)));
    }
}
