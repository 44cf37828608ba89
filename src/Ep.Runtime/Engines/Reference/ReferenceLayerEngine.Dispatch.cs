using System;

namespace Ep;

internal sealed partial class ReferenceLayerEngine
{
    /// <summary>
    /// Validation is collective: the ranks exchange their inputs and their routing mistakes first, and then every rank
    /// throws the same error (the lowest rank's routing mistake, else the lowest overflowing destination), so all ranks
    /// stay at the same step and can go on after catching it. Nothing is written before that point.
    /// </summary>
    public EpDispatchResult Dispatch(long step, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        int tokenCount = tokens.Rows;
        if (tokenCount > _spec.MaxTokensPerRank)
        {
            // A local shape error (generated layers check it before calling): the peers see a peer failure.
            throw new EpShapeException(nameof(tokens), "at most rows (MaxTokensPerRank)", _spec.MaxTokensPerRank, tokenCount);
        }

        var mine = new DispatchContribution(tokens, topkIdx, topkWeights,
            RoutingError.Find(_rank, topkIdx.AsSpan(), _topK, _spec.Experts));
        DispatchContribution[] sources = Exchange(mine, "Dispatch");
        foreach (DispatchContribution source in sources)
        {
            if (source.Error is not null)
            {
                EndExchange("Dispatch");
                throw source.Error.ToException();
            }
        }

        ExchangePlan plan = ExchangePlan.Build(_spec, sources);
        if (plan.FindOverflow(_spec) is { } overflow)
        {
            EndExchange("Dispatch");
            throw overflow;
        }

        _plan = plan;
        ReceivePlan received = plan[_rank];
        EpDispatchResult result = _flat
            ? ReceiveFlat(step, received, sources, tokenCount)
            : ReceiveGrouped(step, received, sources, tokenCount);
        EndExchange("Dispatch");
        return result;
    }

    /// <summary>The Reference engine checks nothing ahead: it copies the ids and weights, which Dispatch then checks.</summary>
    public void PrepareDispatch(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights) => _prepared.Take(topkIdx, topkWeights);

    public EpDispatchResult DispatchPrepared(long step, DeviceTensor<BFloat16> tokens)
    {
        (DeviceTensor<long> idx, DeviceTensor<float> weights) = _prepared.Rows(tokens.Rows);
        return Dispatch(step, tokens, idx, weights);
    }

    private EpDispatchResult ReceiveFlat(long step, ReceivePlan received, DispatchContribution[] sources, int tokenCount)
    {
        int n = received.RowCount;
        Span<BFloat16> rows = _buffers.ReceivedTokens.AsSpan()[..(n * _hidden)];
        for (int row = 0; row < n; row++)
        {
            ReadOnlySpan<BFloat16> source = sources[received.SourceRank[row]].Tokens.AsSpan();
            RowMath.Row(source, received.SourceToken[row], _hidden).CopyTo(RowMath.Row(rows, row, _hidden));
        }

        received.LocalIds.CopyTo(_buffers.ReceivedIdx!.AsSpan());
        received.Weights.CopyTo(_buffers.ReceivedWeights.AsSpan());
        return new EpDispatchResult(step, EpLayout.Flat,
            ReferenceLayerBuffers.Head(_buffers.ReceivedTokens, n),
            _buffers.ReceivedIdx!.SliceRows(0, n),
            _buffers.ReceivedWeights.SliceRows(0, n),
            (int[])received.ExpertCounts.Clone(), (int[])received.PermutedOffsets.Clone(), tokenCount);
    }

    /// <summary>ExpertMajor and LowLatency: one row per (received row, local expert), in groups with zero rows after them.</summary>
    private EpDispatchResult ReceiveGrouped(long step, ReceivePlan received, DispatchContribution[] sources, int tokenCount)
    {
        int m = received.GroupedRowCount;
        Span<BFloat16> rows = _buffers.ReceivedTokens.AsSpan()[..(m * _hidden)];
        Span<float> weights = _buffers.ReceivedWeights.AsSpan()[..m];
        rows.Clear();
        weights.Clear();
        for (int row = 0; row < received.RowCount; row++)
        {
            ReadOnlySpan<BFloat16> token = RowMath.Row(sources[received.SourceRank[row]].Tokens.AsSpan(), received.SourceToken[row], _hidden);
            for (int j = 0; j < _topK; j++)
            {
                int target = received.GroupedRow[row * _topK + j];
                if (target >= 0)
                {
                    token.CopyTo(RowMath.Row(rows, target, _hidden));
                    weights[target] = received.Weights[row * _topK + j];
                }
            }
        }

        return new EpDispatchResult(step, EpLayout.ExpertMajor,
            ReferenceLayerBuffers.Head(_buffers.ReceivedTokens, m),
            null,
            _buffers.ReceivedWeights.SliceRows(0, m),
            (int[])received.ExpertCounts.Clone(), (int[])received.GroupOffsets.Clone(), tokenCount);
    }

    /// <summary>Starts an exchange: every rank's <paramref name="mine"/>, indexed by rank. Pair with <see cref="EndExchange"/>.</summary>
    private T[] Exchange<T>(T mine, string operation) => _world.AllGather(_rank, mine, Operation(operation));

    /// <summary>Ends an exchange: no rank returns (and may change what it shared) while a peer can still read it.</summary>
    private void EndExchange(string operation) => _world.Barrier(_rank, Operation(operation));
}
