using System;

namespace Ep;

internal sealed partial class ReferenceLayerEngine
{
    /// <summary>Every row that carried token t (on every rank that received it) gets a bit copy of dOut[t]; padding is zero.</summary>
    public DeviceTensor<BFloat16> CombineBackward(DeviceTensor<BFloat16> gradOutput)
    {
        RequireHighThroughput(nameof(CombineBackward));
        DeviceTensor<BFloat16>[] gradients = Exchange(gradOutput, "CombineBackward");
        ReceivePlan received = Received;
        int rows = _flat ? received.RowCount : received.GroupedRowCount;
        Span<BFloat16> dz = _buffers.GradCombineInput.AsSpan()[..(rows * _hidden)];
        dz.Clear();
        for (int row = 0; row < received.RowCount; row++)
        {
            ReadOnlySpan<BFloat16> source = RowMath.Row(gradients[received.SourceRank[row]].AsSpan(), received.SourceToken[row], _hidden);
            if (_flat)
            {
                source.CopyTo(RowMath.Row(dz, row, _hidden));
                continue;
            }

            for (int j = 0; j < _topK; j++)
            {
                int grouped = received.GroupedRow[row * _topK + j];
                if (grouped >= 0)
                {
                    source.CopyTo(RowMath.Row(dz, grouped, _hidden));
                }
            }
        }

        EndExchange("CombineBackward");
        return _buffers.GradCombineInput.SliceRows(0, rows);
    }

    /// <summary>
    /// dExpertOut = c · dz at each (row, expert) pair, rounded once; when weighted, dWeights = ⟨dz, expertOut⟩ (fp32, in
    /// <see cref="RowMath.Dot"/>'s order), shaped like Dispatch's TopkWeights.
    /// </summary>
    public EpUnpermuteGradients UnpermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput)
    {
        RequireHighThroughput(nameof(UnpermuteBackward));
        ReceivePlan received = Received;
        ReadOnlySpan<BFloat16> expert = expertOutput.AsSpan();
        ReadOnlySpan<BFloat16> dz = gradCombineInput.AsSpan();
        int expertRows = batch.RowCount;
        Span<BFloat16> dExpert = _buffers.GradExpertOutput.AsSpan()[..(expertRows * _hidden)];
        dExpert.Clear();
        int weightCount = _flat ? received.RowCount * _topK : received.GroupedRowCount;
        Span<float> dWeights = Weighted ? _buffers.GradReceivedWeights.AsSpan()[..weightCount] : default;
        dWeights.Clear();
        for (int row = 0; row < received.RowCount; row++)
        {
            for (int j = 0; j < _topK; j++)
            {
                int slot = row * _topK + j;
                int m = _flat ? received.PermutedRow[slot] : received.GroupedRow[slot];
                if (m < 0)
                {
                    continue;
                }

                // Flat: the gradient row is the received row n; grouped layouts: the row m itself.
                ReadOnlySpan<BFloat16> gradient = RowMath.Row(dz, _flat ? row : m, _hidden);
                RowMath.Scale(gradient, Weighted ? received.Weights[slot] : 1f, RowMath.Row(dExpert, m, _hidden));
                if (Weighted)
                {
                    dWeights[_flat ? slot : m] = RowMath.Dot(gradient, RowMath.Row(expert, m, _hidden));
                }
            }
        }

        DeviceTensor<float>? gradWeights = null;
        if (Weighted)
        {
            gradWeights = _buffers.GradReceivedWeights.SliceRows(0, _flat ? received.RowCount : received.GroupedRowCount);
        }

        return new EpUnpermuteGradients(_buffers.GradExpertOutput.SliceRows(0, expertRows), gradWeights);
    }

    /// <summary>Flat: dRecv[n] = Σ_j dPermuted[m(n, j)] (ascending j, rounded once). Grouped: a bit copy, padding zero.</summary>
    public DeviceTensor<BFloat16> PermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> gradPermuted)
    {
        RequireHighThroughput(nameof(PermuteBackward));
        ReceivePlan received = Received;
        ReadOnlySpan<BFloat16> source = gradPermuted.AsSpan();
        int rows = _flat ? received.RowCount : received.GroupedRowCount;
        Span<BFloat16> dRecv = _buffers.GradReceived.AsSpan()[..(rows * _hidden)];
        dRecv.Clear();
        var acc = new float[_hidden];
        for (int row = 0; row < received.RowCount; row++)
        {
            Array.Clear(acc);
            for (int j = 0; j < _topK; j++)
            {
                int slot = row * _topK + j;
                int m = _flat ? received.PermutedRow[slot] : received.GroupedRow[slot];
                if (m < 0)
                {
                    continue;
                }

                if (_flat)
                {
                    RowMath.Accumulate(acc, RowMath.Row(source, m, _hidden));
                }
                else
                {
                    RowMath.Row(source, m, _hidden).CopyTo(RowMath.Row(dRecv, m, _hidden));
                }
            }

            if (_flat)
            {
                RowMath.Round(acc, RowMath.Row(dRecv, row, _hidden));
            }
        }

        return _buffers.GradReceived.SliceRows(0, rows);
    }

    /// <summary>
    /// dTokens[t] = Σ over the rows of t on every rank (ascending rank, then row), rounded once; dTopkWeights[t, k] =
    /// the gradient entry that carried topkWeights[t, k], in the caller's k order (0 for −1 slots).
    /// </summary>
    public EpDispatchGradients DispatchBackward(DeviceTensor<BFloat16> gradReceived, DeviceTensor<float>? gradReceivedWeights)
    {
        RequireHighThroughput(nameof(DispatchBackward));
        var mine = new DispatchGradientContribution(gradReceived, gradReceivedWeights);
        DispatchGradientContribution[] shared = Exchange(mine, "DispatchBackward");
        bool withWeights = gradReceivedWeights is not null;
        foreach (DispatchGradientContribution other in shared)
        {
            if ((other.Weights is not null) != withWeights)
            {
                EndExchange("DispatchBackward");
                throw new ArgumentException(
                    "DispatchBackward is collective: either every rank passes gradReceivedWeights or none does; the ranks disagree.",
                    nameof(gradReceivedWeights));
            }
        }

        int tokens = Plan.TokenCounts[_rank];
        var rows = new DeviceTensor<BFloat16>[shared.Length];
        for (int d = 0; d < shared.Length; d++)
        {
            rows[d] = shared[d].Rows;
        }

        DeviceTensor<BFloat16> gradTokens = _buffers.GradTokens.SliceRows(0, tokens);
        SumRowsPerToken(rows, gradTokens.AsSpan(), weightRows: false);
        DeviceTensor<float>? gradTopk = null;
        if (withWeights)
        {
            gradTopk = _buffers.GradTopkWeights.SliceRows(0, tokens);
            GatherWeightGradients(shared, gradTopk.AsSpan());
        }

        EndExchange("DispatchBackward");
        return new EpDispatchGradients(gradTokens, gradTopk);
    }

    /// <summary>Puts every received-weight gradient of this rank's tokens back at its original (token, k) position.</summary>
    private void GatherWeightGradients(DispatchGradientContribution[] shared, Span<float> gradTopk)
    {
        gradTopk.Clear();
        for (int d = 0; d < Plan.Ranks; d++)
        {
            ReceivePlan there = Plan[d];
            ReadOnlySpan<float> weights = shared[d].Weights!.AsSpan();
            for (int row = there.FirstRowOfSource[_rank]; row < there.FirstRowOfSource[_rank + 1]; row++)
            {
                for (int j = 0; j < _topK; j++)
                {
                    int slot = row * _topK + j;
                    int k = there.SourceSlot[slot];
                    if (k >= 0)
                    {
                        gradTopk[there.SourceToken[row] * _topK + k] = weights[_flat ? slot : there.GroupedRow[slot]];
                    }
                }
            }
        }
    }

    /// <summary>A second line of defence: the runtime refuses LowLatency backward before reaching the engine.</summary>
    private void RequireHighThroughput(string operation)
    {
        if (_lowLatency)
        {
            throw new NotSupportedException($"{_layerName}.{operation}: LowLatency layers are inference-only; declare Algorithm = HighThroughput to train.");
        }
    }
}

/// <summary>What one rank shares in DispatchBackward: its received-row gradients and, optionally, their weight gradients.</summary>
internal sealed record DispatchGradientContribution(DeviceTensor<BFloat16> Rows, DeviceTensor<float>? Weights);
